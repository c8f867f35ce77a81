"""`python -m vst_cli` is `vst`."""

import sys

from vst_cli import main

sys.exit(main())
