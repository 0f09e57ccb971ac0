"""`python -m demos.xor` in a clone: the demo `nn.demos.xor`."""

from nn.demos.xor import main

if __name__ == "__main__":
    raise SystemExit(main())
