"""Turn a tfdbg dump into a list of fingerprinted events (runs in the child, next to TensorFlow).

Events get keys that are stable from run to run, so two runs can be lined up without TF:
eager op ``e{n}:{OpType}`` (n-th eager execution), graph op ``g:{graph}/{op}:{slot}#{k}``
(k-th execution of that output), variable ``v{n}:{name}`` (n-th variable created).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tfdetlint.trace.frames import user_frames

# Ops that hand the program elements of a tf.data pipeline; the pipeline stages made them.
ITERATOR_OPS = re.compile(r"^(IteratorGetNext\w*|OptionalGetValue|MultiDeviceIteratorGetNextFromShard)$")
_DATASET_OP = re.compile(r"\w*Dataset(V\d+)?$|^ListFiles$|^MatchingFiles$")


def fingerprint(value: Any) -> str:
    """Bit-exact fingerprint of an array-like (dtype, shape and bytes)."""
    import numpy as np

    array = np.asarray(value)
    digest = hashlib.sha256(f"{array.dtype}|{array.shape}|".encode())
    if array.dtype == object:  # strings: bytes of each element
        digest.update(repr(array.tolist()).encode())
    else:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _values(values: Any) -> list[Any]:
    return [] if values is None else list(values)


def _dumpable(value: Any) -> bool:
    return value is not None and hasattr(value, "shape") and hasattr(value, "dtype")


class _Summary:
    def __init__(self, reader: Any, arrays: dict[str, Any]) -> None:
        self.reader = reader
        self.arrays = arrays
        self.events: list[dict[str, Any]] = []
        self.graph_names: dict[str, str] = {}
        self.digests: dict[tuple[str, str], Any] = {}
        self.input_ids: dict[str, tuple[int, ...]] = {}
        for digest in reader.graph_op_digests():
            self.digests[(digest.graph_id, digest.op_name)] = digest

    def graph_name(self, graph_id: str) -> str:
        if graph_id not in self.graph_names:
            try:
                self.graph_names[graph_id] = str(self.reader.graph_by_id(graph_id).name or "None")
            except (KeyError, ValueError):
                self.graph_names[graph_id] = graph_id[:8]
        return self.graph_names[graph_id]

    def outputs(self, key: str, values: list[Any]) -> tuple[list[str], list[Any], list[str]]:
        hashes: list[str] = []
        shapes: list[Any] = []
        dtypes: list[str] = []
        for slot, value in enumerate(values):
            if not _dumpable(value):
                hashes.append("")  # resources, variants: no value to compare
                shapes.append(None)
                dtypes.append("")
                continue
            hashes.append(fingerprint(value))
            shapes.append(list(value.shape))
            dtypes.append(str(value.dtype))
            self.arrays[f"{key}|{slot}"] = value
        return hashes, shapes, dtypes

    def eager(self, limit: int) -> None:
        producer: dict[int, list[str | int]] = {}
        made_by: dict[int, int] = {}  # tensor id -> index in self.events
        iterators: dict[int, int] = {}  # iterator resource id -> dataset tensor id
        for n, execution in enumerate(self.reader.executions()):
            if n >= limit:
                break
            key = f"e{n}:{execution.op_type}"
            values = _values(self.reader.execution_to_tensor_values(execution))
            hashes, shapes, dtypes = self.outputs(key, values)
            _, frames = self.reader.read_execution_stack_trace(execution)
            inputs = [producer[i] for i in (execution.input_tensor_ids or ()) if i in producer]
            event: dict[str, Any] = {
                "key": key,
                "kind": "eager",
                "op_type": execution.op_type,
                "name": execution.op_type,
                "t": execution.wall_time,
                "outputs": hashes,
                "shapes": shapes,
                "dtypes": dtypes,
                "inputs": inputs,
                "stack": user_frames((f[0], f[1]) for f in frames),
                "unordered": False,
            }
            self.input_ids[key] = tuple(execution.input_tensor_ids or ())
            if execution.graph_id:
                event["graph"] = self.graph_name(execution.graph_id)
            if execution.op_type == "MakeIterator" and len(execution.input_tensor_ids or ()) == 2:
                dataset, iterator = execution.input_tensor_ids
                iterators[iterator] = dataset
            if ITERATOR_OPS.match(execution.op_type) and execution.input_tensor_ids:
                source = iterators.get(execution.input_tensor_ids[0])
                event["pipeline"] = self.pipeline(source, made_by) if source is not None else []
            for slot, tensor_id in enumerate(execution.output_tensor_ids or ()):
                producer[tensor_id] = [key, slot]
                made_by[tensor_id] = len(self.events)
            self.events.append(event)

    def pipeline(self, tensor_id: int, made_by: dict[int, int]) -> list[dict[str, Any]]:
        """The tf.data stages behind a dataset tensor, source first."""
        stages: list[dict[str, Any]] = []
        todo = [tensor_id]
        seen: set[int] = set()
        while todo:
            current = todo.pop()
            index = made_by.get(current)
            if index is None or index in seen:
                continue
            seen.add(index)
            event = self.events[index]
            if not _DATASET_OP.match(event["op_type"]):
                continue
            stages.append({"op_type": event["op_type"], "key": event["key"], "stack": event["stack"]})
            todo.extend(self.input_ids.get(event["key"], ()))
        return list(reversed(stages))

    def graph(self, limit: int) -> None:
        count: dict[tuple[str, str, int], int] = {}
        latest: dict[tuple[tuple[str, ...], str, int], str] = {}
        for n, trace in enumerate(self.reader.graph_execution_traces()):
            if n >= limit:
                break
            chain = tuple(n for n in (self.graph_name(g) for g in trace.graph_ids) if n != "None")
            where = "/".join(chain)
            base = (where, trace.op_name, trace.output_slot)
            k = count.get(base, 0)
            count[base] = k + 1
            key = f"g:{where}/{trace.op_name}:{trace.output_slot}#{k}"
            latest[(chain, trace.op_name, trace.output_slot)] = key
            value = self.reader.graph_execution_trace_to_tensor_value(trace)
            hashes, shapes, dtypes = self.outputs(key, [value])
            digest = self.digests.get((trace.graph_id, trace.op_name))
            inputs: list[list[str | int]] = []
            stack: list[list[str | int]] = []
            from_caller = False
            if digest is not None:
                for name in digest.input_names or ():
                    op, _, slot = name.partition(":")
                    ref = latest.get((chain, op, int(slot or 0)))
                    if ref is not None:
                        inputs.append([ref, 0])
                    else:
                        source = self.digests.get((trace.graph_id, op))
                        from_caller |= source is not None and source.op_type in ("Placeholder", "_Arg")
                _, frames = self.reader.read_graph_op_creation_stack_trace(digest)
                stack = user_frames((f[0], f[1]) for f in frames)
            self.events.append(
                {
                    "key": key,
                    "kind": "graph",
                    "op_type": trace.op_type,
                    "name": trace.op_name,
                    "t": trace.wall_time,
                    "outputs": hashes,
                    "shapes": shapes,
                    "dtypes": dtypes,
                    "inputs": inputs,
                    "stack": stack,
                    "function": chain[-1] if chain else "",
                    "chain": list(chain),
                    # an untraced function argument feeds it: the caller's inputs count too
                    "from_caller": from_caller,
                    # tf.data runs its functions on its own threads, in any order.
                    "unordered": any(name.startswith("Dataset_") for name in chain),
                }
            )


def summarise_dump(dump_root: Path, max_ops: int, arrays: dict[str, Any]) -> dict[str, Any]:
    """Events of the dump (at most ``max_ops`` eager and ``max_ops`` graph executions)."""
    from tensorflow.python.debug.lib import debug_events_reader

    if not dump_root.is_dir():
        return {"events": [], "eager_total": 0, "graph_total": 0}
    with debug_events_reader.DebugDataReader(str(dump_root)) as reader:
        reader.update()
        summary = _Summary(reader, arrays)
        eager_total = reader.num_executions()
        graph_total = reader.num_graph_execution_traces()
        summary.eager(max_ops)
        summary.graph(max_ops)
    return {
        "events": summary.events,
        "eager_total": eager_total,
        "graph_total": graph_total,
        "max_ops": max_ops,
    }
