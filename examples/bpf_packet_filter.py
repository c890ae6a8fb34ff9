"""A packet filter in eBPF: accept TCP over IPv4 to port 80 or 443, drop everything else, with a
bounds check before every read (as the kernel's verifier would insist). Runs on every BPF engine.

    python examples/bpf_packet_filter.py

Input: an Ethernet frame (r1 = its address, r2 = its length). Output: r0 = 1 to accept, 0 to drop.
"""

import struct

from jitvm.bpf import Program, run
from jitvm.bpf.engines import ENGINES

FILTER = Program.from_assembly("""
    mov %r0, 0
    jlt %r2, 34, drop            # Ethernet (14) + minimal IPv4 (20) headers
    ldxh %r3, [%r1+12]           # EtherType, big-endian on the wire
    be16 %r3
    jne %r3, 0x0800, drop        # IPv4 only
    ldxb %r3, [%r1+23]           # IPv4 protocol
    jne %r3, 6, drop             # TCP only
    ldxb %r4, [%r1+14]           # version and header length (IHL, in 32-bit words)
    and %r4, 0x0f
    lsh %r4, 2                   # IPv4 header length in bytes
    mov %r5, %r4
    add %r5, 18                  # end of the TCP destination port: 14 + IHL + 4
    jgt %r5, %r2, drop
    add %r4, %r1
    ldxh %r3, [%r4+16]           # TCP destination port (14 + IHL + 2)
    be16 %r3
    jeq %r3, 80, accept
    jeq %r3, 443, accept
    ja drop
accept:
    mov %r0, 1
drop:
    exit
""", source="packet_filter")


def frame(ethertype: int, protocol: int = 6, dst_port: int = 80, ihl: int = 5, truncate: int | None = None) -> bytes:
    ethernet = bytes(6) + bytes.fromhex("020000000001") + struct.pack("!H", ethertype)
    options = bytes(4 * (ihl - 5))
    ipv4 = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 40, 0, 0, 64, protocol, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + options
    ports = struct.pack("!HH", 40000, dst_port) + bytes(16)
    packet = ethernet + ipv4 + ports
    return packet[:truncate] if truncate else packet


PACKETS = [
    ("TCP to port 80", frame(0x0800, dst_port=80), 1),
    ("TCP to port 443, IPv4 options", frame(0x0800, dst_port=443, ihl=7), 1),
    ("TCP to port 22", frame(0x0800, dst_port=22), 0),
    ("UDP to port 53", frame(0x0800, protocol=17, dst_port=53), 0),
    ("ARP", frame(0x0806), 0),
    ("TCP to port 80, truncated", frame(0x0800, dst_port=80, truncate=36), 0),
]


def main():
    engines = [name for name in ENGINES if name != "auto"]
    verdicts = {}
    for name in engines:
        try:
            verdicts[name] = [run(FILTER, packet, engine=name) for _, packet, _ in PACKETS]
        except Exception as exc:  # an engine not built in this checkout
            print(f"engine {name}: not available ({exc})")
    first = next(iter(verdicts))
    for index, (label, packet, expected) in enumerate(PACKETS):
        result = verdicts[first][index]
        assert result.error is None and result.r0 == expected, (label, result)
        for name, results in verdicts.items():
            assert (results[index].r0, results[index].instructions) == (result.r0, result.instructions), name
        verdict = "accept" if result.r0 else "drop"
        print(f"{label:32} {len(packet):3} bytes -> {verdict:6} ({result.instructions} instructions)")
    print(f"same verdicts on: {', '.join(verdicts)}")


if __name__ == "__main__":
    main()
