using System.Globalization;
using System.Text.RegularExpressions;

namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>The variables in scope: <c>self</c>, <c>oldSelf</c> and the iteration variables of enclosing macros.</summary>
internal sealed class CelScope(string name, object? value, CelScope? parent)
{
    public string Name { get; } = name;

    /// <summary>Settable so that a macro reuses one scope for all its elements.</summary>
    public object? Value { get; set; } = value;

    public CelScope? Parent { get; } = parent;

    public object? Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope.Name == name)
            {
                return scope.Value;
            }
        }
        return new CelError($"no such attribute: {name}");
    }
}

/// <summary>Evaluates a checked expression; runtime errors come back as <see cref="CelError"/> values, never as exceptions.</summary>
internal static class CelEvaluator
{
    // The timeout stands in for RE2's linear time; RE2 and .NET agree on the syntax rules use ([a-z], \d, anchors, groups).
    private static readonly RegexCache Patterns = new(TimeSpan.FromMilliseconds(100));

    // Every comparison answers a bool; boxing one per answer was most of a rule's allocations.
    private static readonly object True = true;
    private static readonly object False = false;

    private static object Box(bool value) => value ? True : False;

    public static object? Evaluate(CelExpr expr, CelScope scope) => expr switch
    {
        LiteralExpr literal => literal.Value,
        IdentExpr ident => scope.Lookup(ident.Name),
        SelectExpr select => Select(Evaluate(select.Operand, scope), select.Field),
        HasExpr has => Has(Evaluate(has.Operand, scope), has.Field),
        IndexExpr index => Index(Evaluate(index.Operand, scope), Evaluate(index.Index, scope)),
        UnaryExpr unary => Unary(unary.Op, Evaluate(unary.Operand, scope)),
        BinaryExpr { Op: "&&" } and => Logical(and, scope, shortCircuit: false),
        BinaryExpr { Op: "||" } or => Logical(or, scope, shortCircuit: true),
        BinaryExpr binary => Binary(binary.Op, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope)),
        ConditionalExpr conditional => Evaluate(conditional.Condition, scope) switch
        {
            true => Evaluate(conditional.Then, scope),
            false => Evaluate(conditional.Else, scope),
            CelError error => error,
            _ => CelError.NoOverload("_?_:_"),
        },
        ListExpr list => List(list, scope),
        MapExpr map => Map(map, scope),
        CallExpr call => Call(call, scope),
        ComprehensionExpr comprehension => Comprehension(comprehension, scope),
        _ => new CelError($"unsupported expression {expr.GetType().Name}"),
    };

    private static object? Select(object? operand, string field) => operand switch
    {
        CelError error => error,
        CelMap map => map.TryGet(field, out var value) ? value : new CelError($"no such key: {field}"),
        _ => new CelError($"type '{CelValues.TypeName(operand)}' does not support field selection"),
    };

    private static object? Has(object? operand, string field) => operand switch
    {
        CelError error => error,
        CelMap map => Box(map.ContainsKey(field)),
        _ => new CelError($"invalid type for field selection: {CelValues.TypeName(operand)}"),
    };

    private static object? Index(object? operand, object? index)
    {
        if (operand is CelError || index is CelError)
        {
            return operand as CelError ?? index;
        }
        switch (operand)
        {
            case IReadOnlyList<object?> list:
                long? i = index switch
                {
                    long l => l,
                    ulong u when u <= long.MaxValue => (long)u,
                    double d when Math.Floor(d) == d && Math.Abs(d) < 9.2e18 => (long)d,
                    _ => null,
                };
                if (i is null)
                {
                    return CelError.NoOverload("_[_]");
                }
                return i >= 0 && i < list.Count ? list[(int)i] : new CelError($"index out of bounds: {i}");
            case CelMap map:
                return map.TryGet(index, out var value) ? value : new CelError($"no such key: {Display(index)}");
            default:
                return CelError.NoOverload("_[_]");
        }
    }

    private static object? Unary(string op, object? value) => (op, value) switch
    {
        (_, CelError error) => error,
        ("!", bool b) => Box(!b),
        ("-", long l) => l == long.MinValue ? new CelError("integer overflow") : -l,
        ("-", double d) => -d,
        _ => CelError.NoOverload(op == "!" ? "!_" : "-_"),
    };

    /// <summary>CEL's commutative <c>&amp;&amp;</c>/<c>||</c>: a deciding value on either side wins over an error on the other.</summary>
    private static object? Logical(BinaryExpr expr, CelScope scope, bool shortCircuit)
    {
        var left = Evaluate(expr.Left, scope);
        if (left is bool l && l == shortCircuit)
        {
            return Box(shortCircuit);
        }
        var right = Evaluate(expr.Right, scope);
        if (right is bool r && r == shortCircuit)
        {
            return Box(shortCircuit);
        }
        if (left is CelError || right is CelError)
        {
            return left as CelError ?? right;
        }
        return left is bool && right is bool ? Box(!shortCircuit) : CelError.NoOverload($"_{expr.Op}_");
    }

    private static object? Binary(string op, object? left, object? right)
    {
        if (left is CelError || right is CelError)
        {
            return left as CelError ?? right;
        }
        try
        {
            return op switch
            {
                "==" => Box(CelValues.Equal(left, right)),
                "!=" => Box(!CelValues.Equal(left, right)),
                "<" or "<=" or ">" or ">=" => Compare(op, left, right),
                "in" => In(left, right),
                "+" => Add(left, right),
                "-" => checked((left, right) switch
                {
                    (long x, long y) => (object)(x - y),
                    (ulong x, ulong y) => x - y,
                    (double x, double y) => x - y,
                    _ => CelError.NoOverload("_-_"),
                }),
                "*" => checked((left, right) switch
                {
                    (long x, long y) => (object)(x * y),
                    (ulong x, ulong y) => x * y,
                    (double x, double y) => x * y,
                    _ => CelError.NoOverload("_*_"),
                }),
                "/" => Divide(left, right),
                "%" => (left, right) switch
                {
                    (long, 0L) or (ulong, 0UL) => new CelError("modulus by zero"),
                    (long x, long y) => y == -1 ? 0L : x % y,
                    (ulong x, ulong y) => x % y,
                    _ => CelError.NoOverload("_%_"),
                },
                _ => CelError.NoOverload(op),
            };
        }
        catch (OverflowException)
        {
            return new CelError(left is ulong ? "unsigned integer overflow" : "integer overflow");
        }
    }

    private static object Compare(string op, object? left, object? right)
    {
        int? order = CelValues.CompareNumbers(left, right) ?? (left, right) switch
        {
            (string x, string y) => Math.Sign(string.CompareOrdinal(x, y)),
            (bool x, bool y) => x.CompareTo(y),
            _ => null,
        };
        if (order is not { } o)
        {
            // NaN compares false with everything, as in Go; other mixes are a type error.
            return left is double or long or ulong && right is double or long or ulong ? false : CelError.NoOverload($"_{op}_");
        }
        return op switch
        {
            "<" => Box(o < 0),
            "<=" => Box(o <= 0),
            ">" => Box(o > 0),
            _ => Box(o >= 0),
        };
    }

    private static object In(object? element, object? container) => container switch
    {
        IReadOnlyList<object?> list => Box(list.Any(item => CelValues.Equal(item, element))),
        CelMap map => Box(map.ContainsKey(element)),
        _ => CelError.NoOverload("@in"),
    };

    private static object Add(object? left, object? right) => checked((left, right) switch
    {
        (long x, long y) => (object)(x + y),
        (ulong x, ulong y) => x + y,
        (double x, double y) => x + y,
        (string x, string y) => x + y,
        (IReadOnlyList<object?> x, IReadOnlyList<object?> y) => x.Concat(y).ToList(),
        _ => CelError.NoOverload("_+_"),
    });

    private static object Divide(object? left, object? right) => (left, right) switch
    {
        (long, 0L) or (ulong, 0UL) => new CelError("division by zero"),
        (long x, long y) => x == long.MinValue && y == -1 ? new CelError("integer overflow") : x / y,
        (ulong x, ulong y) => x / y,
        (double x, double y) => x / y,
        _ => CelError.NoOverload("_/_"),
    };

    private static object? List(ListExpr expr, CelScope scope)
    {
        var items = new List<object?>(expr.Items.Count);
        foreach (var item in expr.Items)
        {
            var value = Evaluate(item, scope);
            if (value is CelError)
            {
                return value;
            }
            items.Add(value);
        }
        return items;
    }

    private static object? Map(MapExpr expr, CelScope scope)
    {
        var entries = new List<KeyValuePair<object?, object?>>(expr.Entries.Count);
        foreach (var (keyExpr, valueExpr) in expr.Entries)
        {
            var key = Evaluate(keyExpr, scope);
            var value = Evaluate(valueExpr, scope);
            if (key is CelError || value is CelError)
            {
                return key as CelError ?? value;
            }
            if (key is not (string or long or ulong or bool))
            {
                return new CelError($"unsupported key type: {CelValues.TypeName(key)}");
            }
            if (entries.Any(e => CelValues.Equal(e.Key, key)))
            {
                return new CelError($"Failed with repeated key: {Display(key)}");
            }
            entries.Add(new(key, value));
        }
        return new LiteralMap(entries);
    }

    private static object? Call(CallExpr call, CelScope scope)
    {
        var args = new List<object?>(call.Args.Count + 1);
        if (call.Target is not null)
        {
            args.Add(Evaluate(call.Target, scope));
        }
        foreach (var arg in call.Args)
        {
            args.Add(Evaluate(arg, scope));
        }
        foreach (var arg in args)
        {
            if (arg is CelError)
            {
                return arg;
            }
        }
        return (call.Function, args.Count) switch
        {
            ("size", 1) => Size(args[0]),
            ("int", 1) => CelConversions.ToInt(args[0]),
            ("uint", 1) => CelConversions.ToUint(args[0]),
            ("double", 1) => CelConversions.ToDouble(args[0]),
            ("string", 1) => CelConversions.ToText(args[0]),
            ("bool", 1) => CelConversions.ToBool(args[0]),
            ("matches", 2) => Matches(args[0], args[1]),
            ("startsWith", 2) => StringTest(args, "startsWith", (s, p) => s.StartsWith(p, StringComparison.Ordinal)),
            ("endsWith", 2) => StringTest(args, "endsWith", (s, p) => s.EndsWith(p, StringComparison.Ordinal)),
            ("contains", 2) => StringTest(args, "contains", (s, p) => s.Contains(p, StringComparison.Ordinal)),
            _ when call.Target is not null => CelLibrary.Call(call.Function, args),
            _ => CelError.NoOverload(call.Function),
        };
    }

    private static object Size(object? value) => value switch
    {
        string s => (long)s.EnumerateRunes().Count(),
        IReadOnlyList<object?> list => (long)list.Count,
        CelMap map => (long)map.Count,
        _ => CelError.NoOverload("size"),
    };

    private static object StringTest(List<object?> args, string function, Func<string, string, bool> test) =>
        args[0] is string s && args[1] is string p ? Box(test(s, p)) : CelError.NoOverload(function);

    private static object Matches(object? text, object? pattern)
    {
        if (text is not string s || pattern is not string p)
        {
            return CelError.NoOverload("matches");
        }
        if (Patterns.Get(p) is not { } regex)
        {
            return new CelError($"invalid regular expression: {p}");
        }
        try
        {
            return Box(regex.IsMatch(s));
        }
        catch (RegexMatchTimeoutException)
        {
            return new CelError("regular expression match timed out");
        }
    }

    private static object? Comprehension(ComprehensionExpr expr, CelScope scope)
    {
        var range = Evaluate(expr.Range, scope);
        IEnumerable<object?> elements;
        switch (range)
        {
            case CelError:
                return range;
            case IReadOnlyList<object?> list:
                elements = list;
                break;
            case CelMap map:
                elements = map.Keys;
                break;
            default:
                return CelError.NoOverload(expr.Macro);
        }
        return expr.Macro switch
        {
            "all" => Quantify(expr, scope, elements, decisive: false),
            "exists" => Quantify(expr, scope, elements, decisive: true),
            "exists_one" => ExistsOne(expr, scope, elements),
            _ => Transform(expr, scope, elements),
        };
    }

    /// <summary><c>all</c> and <c>exists</c>: a deciding element wins over errors from the others, as with <c>&amp;&amp;</c> and <c>||</c>.</summary>
    private static object? Quantify(ComprehensionExpr expr, CelScope scope, IEnumerable<object?> elements, bool decisive)
    {
        object? error = null;
        var inner = new CelScope(expr.Variable, null, scope);
        foreach (var element in elements)
        {
            inner.Value = element;
            switch (Evaluate(expr.Predicate!, inner))
            {
                case bool b when b == decisive:
                    return Box(decisive);
                case bool:
                    break;
                case CelError e:
                    error ??= e;
                    break;
                default:
                    error ??= CelError.NoOverload(expr.Macro);
                    break;
            }
        }
        return error ?? Box(!decisive);
    }

    private static object? ExistsOne(ComprehensionExpr expr, CelScope scope, IEnumerable<object?> elements)
    {
        var count = 0;
        var inner = new CelScope(expr.Variable, null, scope);
        foreach (var element in elements)
        {
            inner.Value = element;
            switch (Evaluate(expr.Predicate!, inner))
            {
                case true:
                    count++;
                    break;
                case false:
                    break;
                case CelError e:
                    return e;
                default:
                    return CelError.NoOverload("exists_one");
            }
        }
        return Box(count == 1);
    }

    private static object? Transform(ComprehensionExpr expr, CelScope scope, IEnumerable<object?> elements)
    {
        var result = new List<object?>();
        var inner = new CelScope(expr.Variable, null, scope);
        foreach (var element in elements)
        {
            inner.Value = element;
            if (expr.Predicate is not null)
            {
                switch (Evaluate(expr.Predicate, inner))
                {
                    case false:
                        continue;
                    case CelError e:
                        return e;
                    case not true:
                        return CelError.NoOverload(expr.Macro);
                }
            }
            var value = expr.Transform is null ? element : Evaluate(expr.Transform, inner);
            if (value is CelError)
            {
                return value;
            }
            result.Add(value);
        }
        return result;
    }

    private static string Display(object? value) => value switch
    {
        string s => s,
        null => "null",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
