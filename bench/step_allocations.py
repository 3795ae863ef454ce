"""Heap allocations per training step after the first ones, measured (not claimed): builds
step_allocations.c against the installed library's header and runs it (see that file).
Run: python bench/step_allocations.py"""

import pathlib
import subprocess
import sys
import tempfile

from swiftnet import _library

HERE = pathlib.Path(__file__).resolve().parent


def main():
    _library.lib.sn_version()
    library = _library.loaded_path
    header_dir = library.parent if (library.parent / "swiftnet.h").exists() else \
        HERE.parent / "Sources/SwiftNetC/include"
    with tempfile.TemporaryDirectory() as tmp:
        program = pathlib.Path(tmp) / "step_allocations"
        link = pathlib.Path(tmp) / "libswiftnet.so"
        link.symlink_to(library)
        subprocess.run(["gcc", "-O2", "-I", str(header_dir), str(HERE / "step_allocations.c"), "-L", tmp, "-lswiftnet",
                        f"-Wl,-rpath,{library.parent}", f"-Wl,-rpath,{tmp}", "-o", str(program)], check=True)
        result = subprocess.run([str(program)], capture_output=True, text=True, timeout=600)
        sys.stdout.write(result.stdout + result.stderr)
        return result.returncode


if __name__ == "__main__":
    sys.exit(main())
