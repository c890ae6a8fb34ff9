"""The opcode tables ship inside the wheel, and an installed wheel finds them."""

import subprocess
import sys
import zipfile

from tests.conftest import REPOSITORY


def test_installed_wheel_finds_the_opcode_tables(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPOSITORY)],
        check=True, capture_output=True,
    )
    (wheel,) = wheel_dir.glob("jitvm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "jitvm/opcodes/evm.toml" in names
    assert not any(name.startswith("tests/") for name in names)

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from jitvm.tables import table_path; from jitvm.evm.opcodes import opcode_table;"
        "print(table_path('evm.toml')); print(len(opcode_table('Cancun').by_name))"
    )
    found = subprocess.run([sys.executable, "-c", probe, str(target)], check=True, capture_output=True,
                           text=True, cwd=tmp_path).stdout.split()
    assert found[0].startswith(str(target))
    assert int(found[1]) > 149  # mnemonics plus aliases
