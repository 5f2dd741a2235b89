"""Runs the schemathesis CLI (arguments as given) with one work-around for a CPython 3.11 bug.

Hypothesis describes the lambdas in a strategy's filters by parsing their source with `ast.parse`; on Debian's
Python 3.11 that call can raise `SystemError: AST constructor recursion depth mismatch` (CPython gh-106905) deep in
schemathesis's coverage phase, which schemathesis then reports as a runtime error of the run. The description is only
a label for output, so a failure to make one becomes a plain label; nothing about generation or checking changes.
"""
import sys

import hypothesis.internal.lambda_sources as lambda_sources

_describe = lambda_sources.lambda_description


def _describe_or_label(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda"


lambda_sources.lambda_description = _describe_or_label

from schemathesis.cli import schemathesis  # noqa: E402  (after the patch, like the console script)

if __name__ == "__main__":
    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
