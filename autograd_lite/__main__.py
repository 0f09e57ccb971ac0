"""`python -m autograd_lite`: the same command line as `autograd-lite`."""

import sys

from autograd_lite.cli import main

if __name__ == "__main__":
    sys.exit(main())
