"""The C interface: header, exported symbols and the Python bindings agree, and a C program can
train a model through the header alone."""

import ctypes
import re
import shutil
import subprocess

import pytest

from conftest import ROOT
from swiftnet import _library

LIB_DIR = _library.library_path().parent
HEADER = (LIB_DIR / "swiftnet.h") if (LIB_DIR / "swiftnet.h").exists() else ROOT / "Sources/SwiftNetC/include/swiftnet.h"
C_TYPES = {"int32_t": "c_int32", "int64_t": "c_int64", "uint64_t": "c_uint64", "double": "c_double"}


def header_prototypes():
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    prototypes = {}
    for match in re.finditer(r"([\w\s\*]+?)\b(sn_\w+)\s*\(([^)]*)\);", text):
        arguments = [a.strip() for a in match.group(3).split(",") if a.strip() and a.strip() != "void"]
        prototypes[match.group(2)] = (match.group(1).strip(), arguments)
    return prototypes


def exported_symbols():
    output = subprocess.run(["nm", "-D", "--defined-only", str(_library.library_path())],
                            capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in output.splitlines() if line.split()[-1].startswith("sn_")}


def test_header_symbols_and_bindings_agree():
    prototypes = header_prototypes()
    assert len(prototypes) >= 18
    assert set(prototypes) == exported_symbols()
    assert set(prototypes) == set(_library.SIGNATURES)


def test_binding_argument_types_match_the_header():
    for name, (result, arguments) in header_prototypes().items():
        restype, argtypes = _library.SIGNATURES[name]
        assert len(argtypes) == len(arguments), name
        for declared, bound in zip(arguments, argtypes):
            kind = declared.rsplit(" ", 1)[0].replace("const ", "").strip() if " " in declared else declared
            base = kind.rstrip("* ").strip()
            if "*" in declared:
                assert bound.__name__.startswith(("LP_", "c_char_p", "c_void_p")), (name, declared, bound)
            elif base in C_TYPES:
                assert bound is getattr(ctypes, C_TYPES[base]), (name, declared, bound)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")
def test_c_program_trains_through_the_header(tmp_path):
    program = tmp_path / "train_xor"
    subprocess.run(["gcc", "-O1", "-Wall", "-Werror", "-I", str(HEADER.parent), str(ROOT / "Tests/c/train_xor.c"),
                    "-L", str(LIB_DIR), "-lswiftnet", f"-Wl,-rpath,{LIB_DIR}", "-o", str(program)], check=True)
    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
