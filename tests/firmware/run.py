# Runs the firmware checks under MicroPython (or CPython): every check_*.py
# module given, every function in it named test_*. Prints one line per failure
# and a closing "N passed, M failed"; exits 1 when anything failed.
# usage: micropython run.py FIRMWARE_DIR VECTORS_JSON MODULE...
import sys

fw, vectors = sys.argv[1], sys.argv[2]
sys.path.insert(0, fw)
here = sys.argv[0].rsplit("/", 1)[0]
sys.path.insert(0, here)
import json

with open(vectors) as f:
    VECTORS = json.load(f)

passed = failed = 0
for name in sys.argv[3:]:
    mod = __import__(name)
    mod.VECTORS = VECTORS
    for attr in sorted(dir(mod)):
        if not attr.startswith("test_"):
            continue
        try:
            getattr(mod, attr)()
            passed += 1
        except Exception as e:
            failed += 1
            print("FAIL %s.%s: %s: %s" % (name, attr, type(e).__name__, e))
            try:
                sys.print_exception(e)
            except AttributeError:
                import traceback
                traceback.print_exc()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed or not passed else 0)
