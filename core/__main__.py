"""`python -m core ...`: GenreLab's headless command line."""

import sys

from .cli import main

sys.exit(main())
