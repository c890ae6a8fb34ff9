"""LOG0-LOG4: append a log record with 0-4 topics and a slice of memory."""

from jitvm.evm import gas
from jitvm.evm.opcodes import opcode_table
from jitvm.evm.reference.frame import charge, expand_memory, read_memory, require_not_static
from jitvm.evm.reference.instructions import instruction


def _log(topic_count: int):
    def log_n(frame):
        stack = frame.stack
        offset = stack.pop()
        size = stack.pop()
        topics = tuple(stack.pop() for _ in range(topic_count))
        charge(frame, gas.LOG_DATA_BYTE * size)
        expand_memory(frame, offset, size)
        require_not_static(frame)
        frame.state.add_log(frame.message.target, topics, read_memory(frame, offset, size))

    return log_n


for _opcode in opcode_table("Cancun").by_byte:
    if _opcode is not None and _opcode.mnemonic.startswith("LOG"):
        instruction(_opcode.mnemonic)(_log(_opcode.inputs - 2))  # offset and size, then the topics
