"""`python -m vst.cli` is `vst`."""

import sys

from vst.cli import main

sys.exit(main())
