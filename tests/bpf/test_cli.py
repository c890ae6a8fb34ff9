"""`jitvm bpf run / disasm / plugin` through the real entry point."""

import io

from jitvm.cli.main import main

from .fixtures import CONFORMANCE, SBPF, require


def test_run_a_conformance_file(capsys):
    assert main(["bpf", "run", str(require(CONFORMANCE / "tests" / "subnet.data"))]) == 0
    assert "0x1" in capsys.readouterr().out


def test_run_assembly_with_memory(tmp_path, capsys):
    source = tmp_path / "prog.asm"
    source.write_text("ldxh %r0, [%r1]\nexit\n")
    assert main(["bpf", "run", str(source), "--mem", "3412"]) == 0
    assert "0x1234" in capsys.readouterr().out


def test_runtime_error_exits_1(tmp_path, capsys):
    source = tmp_path / "prog.asm"
    source.write_text("ldxw %r0, [%r1+8]\nexit\n")
    assert main(["bpf", "run", str(source)]) == 1
    assert "access violation" in capsys.readouterr().out


def test_bad_input_is_one_line(tmp_path, capsys):
    source = tmp_path / "prog.asm"
    source.write_text("frobnicate %r0\n")
    assert main(["bpf", "run", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown mnemonic" in err


def test_rejected_elf_is_one_line(capsys):
    assert main(["bpf", "run", str(require(SBPF / "bss_section_sbpfv0.so"))]) == 2
    assert "WritableSectionNotSupported" in capsys.readouterr().err


def test_disasm_names_syscalls(capsys):
    assert main(["bpf", "disasm", str(require(SBPF / "syscall_reloc_64_32_sbpfv0.so"))]) == 0
    assert "# log" in capsys.readouterr().out


def test_plugin_protocol(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("bf20000000000000 9500000000000000\n"))
    assert main(["bpf", "plugin", "00010203"]) == 0  # mov %r0, %r2: the memory length
    assert capsys.readouterr().out.strip() == "4"


def test_plugin_reports_errors_on_stderr(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("61100800000000009500000000000000"))
    assert main(["bpf", "plugin", "00"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "access violation" in captured.err
