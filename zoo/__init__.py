"""The model zoo: a registry of stylization variants, backed by embedded weights and the Hugging Face Hub."""

from .registry import Variant, ZooError, create_stylizer, get_variant, list_variants, register

__all__ = ["Variant", "ZooError", "create_stylizer", "get_variant", "list_variants", "register"]
