import sys

from unfragile.cli import main

sys.exit(main())
