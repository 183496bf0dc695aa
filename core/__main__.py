"""`python -m core ...`: GenreLab's headless command line."""

import sys

from core.cli import main

sys.exit(main())
