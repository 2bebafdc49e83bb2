"""``python -m classifier.compare``: the command line of :mod:`classifier.tracking.compare`."""

from classifier.tracking.compare import main

if __name__ == "__main__":
    main()
