"""The model zoo: a registry of stylization variants, backed by embedded weights, plugins and the Hugging Face Hub."""

from .compare import compare_lanes
from .errors import ZooError
from .registry import (
    Variant,
    create_stylizer,
    get_variant,
    identity,
    list_variants,
    load,
    plugin_problems,
    register,
    resolve,
    visitor_ref,
)

__all__ = [
    "Variant",
    "ZooError",
    "compare_lanes",
    "create_stylizer",
    "get_variant",
    "identity",
    "list_variants",
    "load",
    "plugin_problems",
    "register",
    "resolve",
    "visitor_ref",
]
