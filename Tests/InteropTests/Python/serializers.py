"""The serializers a Python UltraDict 0.0.6 process passes to share a dictionary with Swift.

`Docs/INTEROP.md` shows these classes; the interop tests run them.
"""
import base64
import json
import pickle

import msgpack


class MessagePack:
    """msgpack as it is, except that full dumps with int keys load (msgpack refuses them by default)."""

    dumps = staticmethod(msgpack.dumps)

    @staticmethod
    def loads(data):
        return msgpack.loads(data, strict_map_key=False)


class JSON:
    """json with bytes on the wire, as UltraDict needs.

    Bytes values travel as {"$bytes": "<base64>"}, as Swift's JSONSerializer writes them; UltraDict
    itself writes b'' as the value of every delete record.
    """

    @staticmethod
    def dumps(obj):
        return json.dumps(obj, default=_tag_bytes).encode()

    @staticmethod
    def loads(data):
        return json.loads(data, object_hook=_untag_bytes)


def _tag_bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _untag_bytes(obj):
    if len(obj) == 1 and isinstance(obj.get("$bytes"), str):
        return base64.b64decode(obj["$bytes"], validate=True)
    return obj


# Pickle is Python UltraDict's default serializer: the module itself, as UltraDict() takes it.
SERIALIZERS = {"msgpack": MessagePack, "json": JSON, "pickle": pickle}
