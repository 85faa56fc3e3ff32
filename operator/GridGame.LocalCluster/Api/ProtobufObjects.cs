using System.Text;
using System.Text.Json.Nodes;

namespace GridGame.LocalCluster.Api;

/// <summary>
/// Decodes the Kubernetes protobuf envelope (<c>k8s\0</c> + runtime.Unknown) for the built-in kinds kubectl's typed
/// clients send as protobuf (<c>kubectl create namespace|configmap|secret|serviceaccount</c>). Responses stay JSON:
/// those clients accept it. Other kinds in protobuf are answered 415.
/// </summary>
internal static class ProtobufObjects
{
    private enum Kind
    {
        String,
        Bytes,
        Int,
        Bool,
        Message,
        StringMap,
        BytesMap,
        RepeatedString,
        RepeatedMessage,
    }

    private sealed record Field(string Name, Kind Kind, Dictionary<int, Field>? Schema = null);

    private static readonly Dictionary<int, Field> Meta = new()
    {
        [1] = new("name", Kind.String),
        [2] = new("generateName", Kind.String),
        [3] = new("namespace", Kind.String),
        [5] = new("uid", Kind.String),
        [6] = new("resourceVersion", Kind.String),
        [11] = new("labels", Kind.StringMap),
        [12] = new("annotations", Kind.StringMap),
        [14] = new("finalizers", Kind.RepeatedString),
    };

    private static readonly Dictionary<int, Field> Reference = new() { [1] = new("kind", Kind.String), [2] = new("namespace", Kind.String), [3] = new("name", Kind.String) };

    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new(StringComparer.Ordinal)
    {
        ["Namespace"] = new() { [1] = new("metadata", Kind.Message, Meta), [2] = new("spec", Kind.Message, new() { [1] = new("finalizers", Kind.RepeatedString) }) },
        ["ConfigMap"] = new() { [1] = new("metadata", Kind.Message, Meta), [2] = new("data", Kind.StringMap), [3] = new("binaryData", Kind.BytesMap), [4] = new("immutable", Kind.Bool) },
        ["Secret"] = new()
        {
            [1] = new("metadata", Kind.Message, Meta), [2] = new("data", Kind.BytesMap), [3] = new("type", Kind.String), [4] = new("stringData", Kind.StringMap), [5] = new("immutable", Kind.Bool),
        },
        ["ServiceAccount"] = new()
        {
            [1] = new("metadata", Kind.Message, Meta), [2] = new("secrets", Kind.RepeatedMessage, Reference), [3] = new("imagePullSecrets", Kind.RepeatedMessage, new() { [1] = new("name", Kind.String) }),
            [4] = new("automountServiceAccountToken", Kind.Bool),
        },
    };

    public static JsonObject Decode(byte[] data)
    {
        if (data.Length < 4 || data[0] != 'k' || data[1] != '8' || data[2] != 's' || data[3] != 0)
        {
            throw ApiException.BadRequest("the object provided is unrecognized: provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }
        string? apiVersion = null;
        string? kind = null;
        byte[]? raw = null;
        var reader = new Reader(data, 4, data.Length);
        while (reader.More)
        {
            var (number, wire) = reader.Tag();
            if (number == 1 && wire == 2)
            {
                var tm = reader.Sub();
                while (tm.More)
                {
                    var (n, w) = tm.Tag();
                    if (n == 1 && w == 2)
                    {
                        apiVersion = tm.String();
                    }
                    else if (n == 2 && w == 2)
                    {
                        kind = tm.String();
                    }
                    else
                    {
                        tm.Skip(w);
                    }
                }
            }
            else if (number == 2 && wire == 2)
            {
                raw = reader.Bytes();
            }
            else
            {
                reader.Skip(wire);
            }
        }
        if (kind is null || raw is null || !Kinds.TryGetValue(kind, out var schema))
        {
            throw ApiException.UnsupportedMediaType($"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is decoded only for Namespace, ConfigMap, Secret, ServiceAccount; got {kind})");
        }
        var obj = DecodeMessage(new Reader(raw, 0, raw.Length), schema);
        obj["apiVersion"] = apiVersion;
        obj["kind"] = kind;
        return obj;
    }

    private static JsonObject DecodeMessage(Reader reader, Dictionary<int, Field> schema)
    {
        var obj = new JsonObject();
        while (reader.More)
        {
            var (number, wire) = reader.Tag();
            if (!schema.TryGetValue(number, out var field))
            {
                reader.Skip(wire);
                continue;
            }
            switch (field.Kind)
            {
                case Kind.String:
                {
                    // Go omits empty strings from JSON; so do we (generateName "", type "" would otherwise stick).
                    var text = reader.String();
                    if (text.Length > 0)
                    {
                        obj[field.Name] = text;
                    }
                    break;
                }
                case Kind.Bytes:
                    obj[field.Name] = Convert.ToBase64String(reader.Bytes());
                    break;
                case Kind.Int:
                    obj[field.Name] = (long)reader.Varint();
                    break;
                case Kind.Bool:
                    if (reader.Varint() != 0)
                    {
                        obj[field.Name] = true;
                    }
                    break;
                case Kind.Message:
                    obj[field.Name] = DecodeMessage(reader.Sub(), field.Schema!);
                    break;
                case Kind.RepeatedString:
                    Array(obj, field.Name).Add(reader.String());
                    break;
                case Kind.RepeatedMessage:
                    Array(obj, field.Name).Add(DecodeMessage(reader.Sub(), field.Schema!));
                    break;
                default:
                {
                    var entry = reader.Sub();
                    string key = "";
                    JsonNode? value = "";
                    while (entry.More)
                    {
                        var (n, w) = entry.Tag();
                        if (n == 1)
                        {
                            key = entry.String();
                        }
                        else if (n == 2)
                        {
                            value = field.Kind == Kind.BytesMap ? Convert.ToBase64String(entry.Bytes()) : entry.String();
                        }
                        else
                        {
                            entry.Skip(w);
                        }
                    }
                    if (obj[field.Name] is not JsonObject map)
                    {
                        map = [];
                        obj[field.Name] = map;
                    }
                    map[key] = value;
                    break;
                }
            }
        }
        return obj;
    }

    private static JsonArray Array(JsonObject obj, string name)
    {
        if (obj[name] is not JsonArray a)
        {
            a = [];
            obj[name] = a;
        }
        return a;
    }

    private sealed class Reader(byte[] data, int position, int end)
    {
        private int _position = position;

        public bool More => _position < end;

        public ulong Varint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (_position >= end)
                {
                    throw ApiException.BadRequest("the object provided is unrecognized: truncated protobuf");
                }
                var b = data[_position++];
                result |= (ulong)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
            throw ApiException.BadRequest("the object provided is unrecognized: bad protobuf varint");
        }

        public (int Number, int Wire) Tag()
        {
            var tag = Varint();
            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public byte[] Bytes()
        {
            var length = (int)Varint();
            if (length < 0 || _position + length > end)
            {
                throw ApiException.BadRequest("the object provided is unrecognized: truncated protobuf");
            }
            var bytes = data.AsSpan(_position, length).ToArray();
            _position += length;
            return bytes;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public Reader Sub()
        {
            var length = (int)Varint();
            var sub = new Reader(data, _position, _position + length);
            _position += length;
            return sub;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    _position += 8;
                    break;
                case 2:
                {
                    var length = (int)Varint();
                    _position += length;
                    break;
                }
                case 5:
                    _position += 4;
                    break;
                default:
                    throw ApiException.BadRequest("the object provided is unrecognized: unsupported protobuf wire type");
            }
        }
    }
}
