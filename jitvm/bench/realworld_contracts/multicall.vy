# pragma version 0.4.3
# Multicall: several calls in one, each result returned (the read-many pattern of wallets and dapps).

struct Call:
    target: address
    data: Bytes[132]


@external
def aggregate(calls: DynArray[Call, 16]) -> DynArray[Bytes[64], 16]:
    results: DynArray[Bytes[64], 16] = []
    for call: Call in calls:
        results.append(raw_call(call.target, call.data, max_outsize=64))
    return results
