namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>
/// Recursive descent over CEL's grammar (cel-spec langdef.md), checking as it goes what cel-go's checker would
/// refuse without types: undeclared identifiers, unknown functions and wrong argument counts.
/// </summary>
internal sealed class CelParser
{
    private const int MaxDepth = 100;

    /// <summary>Global functions with their argument counts; <c>has</c> is a macro handled apart.</summary>
    private static readonly Dictionary<string, int> Functions = new(StringComparer.Ordinal)
    {
        ["size"] = 1, ["int"] = 1, ["uint"] = 1, ["double"] = 1, ["string"] = 1, ["bool"] = 1, ["matches"] = 2,
    };

    /// <summary>Methods with their argument counts (the receiver not counted).</summary>
    private static readonly Dictionary<string, int> Methods = new(StringComparer.Ordinal)
    {
        ["size"] = 0, ["startsWith"] = 1, ["endsWith"] = 1, ["contains"] = 1, ["matches"] = 1,
    };

    private static readonly HashSet<string> Macros = new(StringComparer.Ordinal) { "all", "exists", "exists_one", "map", "filter" };

    private readonly List<Token> _tokens;
    private readonly List<string> _scope;
    private int _position;
    private int _depth;

    private CelParser(List<Token> tokens, IEnumerable<string> variables)
    {
        _tokens = tokens;
        _scope = [.. variables];
    }

    /// <summary>Parses <paramref name="text"/>, where <paramref name="variables"/> are the declared identifiers.</summary>
    public static CelExpr Parse(string text, IEnumerable<string> variables)
    {
        var parser = new CelParser(CelLexer.Tokenize(text), variables);
        var expr = parser.Expression();
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw parser.Error($"Syntax error: mismatched input '{parser.Peek.Text}' expecting <EOF>");
        }
        return expr;
    }

    private Token Peek => _tokens[_position];

    private Token Next() => _tokens[_position++];

    private bool IsPunct(string text) => Peek.Kind == TokenKind.Punct && Peek.Text == text;

    private bool Accept(string text)
    {
        if (IsPunct(text))
        {
            _position++;
            return true;
        }
        return false;
    }

    private void Expect(string text)
    {
        if (!Accept(text))
        {
            throw Error($"Syntax error: mismatched input '{Peek.Text}' expecting '{text}'");
        }
    }

    private CelCompileException Error(string message) => new(message, Peek.Position);

    // Nesting is bounded so that a hostile rule cannot overflow the stack of the parser or the evaluator.
    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error("expression recursion limit exceeded");
        }
    }

    private CelExpr Expression()
    {
        Enter();
        var condition = Or();
        CelExpr result = condition;
        if (Accept("?"))
        {
            var then = Or();
            Expect(":");
            result = new ConditionalExpr(condition, then, Expression());
        }
        _depth--;
        return result;
    }

    private CelExpr Or()
    {
        var left = And();
        while (Accept("||"))
        {
            left = new BinaryExpr("||", left, And());
        }
        return left;
    }

    private CelExpr And()
    {
        var left = Relation();
        while (Accept("&&"))
        {
            left = new BinaryExpr("&&", left, Relation());
        }
        return left;
    }

    private CelExpr Relation()
    {
        var left = Addition();
        while (true)
        {
            if (Peek.Kind == TokenKind.Identifier && Peek.Text == "in")
            {
                _position++;
                left = new BinaryExpr("in", left, Addition());
            }
            else if (Peek.Kind == TokenKind.Punct && Peek.Text is "<" or "<=" or ">" or ">=" or "==" or "!=")
            {
                var op = Next().Text;
                left = new BinaryExpr(op, left, Addition());
            }
            else
            {
                return left;
            }
        }
    }

    private CelExpr Addition()
    {
        var left = Multiplication();
        while (Peek.Kind == TokenKind.Punct && Peek.Text is "+" or "-")
        {
            var op = Next().Text;
            left = new BinaryExpr(op, left, Multiplication());
        }
        return left;
    }

    private CelExpr Multiplication()
    {
        var left = Unary();
        while (Peek.Kind == TokenKind.Punct && Peek.Text is "*" or "/" or "%")
        {
            var op = Next().Text;
            left = new BinaryExpr(op, left, Unary());
        }
        return left;
    }

    private CelExpr Unary()
    {
        if (Accept("!"))
        {
            Enter();
            var negated = new UnaryExpr("!", Unary());
            _depth--;
            return negated;
        }
        if (Accept("-"))
        {
            // The literal's magnitude is folded here so that the smallest int64 is a literal, as in cel-go.
            if (Peek.Kind == TokenKind.Int && !NextIsMember())
            {
                return new LiteralExpr(-(long)(ulong)Next().Value!);
            }
            Enter();
            var minus = new UnaryExpr("-", Unary());
            _depth--;
            return minus;
        }
        return Member();
    }

    private bool NextIsMember() => _tokens[_position + 1] is { Kind: TokenKind.Punct, Text: "." or "[" };

    private CelExpr Member()
    {
        var operand = Primary();
        while (true)
        {
            if (Accept("."))
            {
                var name = Next();
                if (name.Kind != TokenKind.Identifier)
                {
                    throw Error($"Syntax error: mismatched input '{name.Text}' expecting IDENTIFIER");
                }
                operand = IsPunct("(") ? MethodCall(operand, name) : new SelectExpr(operand, name.Text);
            }
            else if (Accept("["))
            {
                var index = Expression();
                Expect("]");
                operand = new IndexExpr(operand, index);
            }
            else
            {
                return operand;
            }
        }
    }

    private CelExpr MethodCall(CelExpr target, Token name)
    {
        Expect("(");
        if (Macros.Contains(name.Text))
        {
            return Macro(target, name);
        }
        var args = Arguments();
        var known = Methods.TryGetValue(name.Text, out var arity)
            ? arity == args.Count
            : CelLibrary.Methods.TryGetValue(name.Text, out var arities) && arities.Contains(args.Count);
        if (!known)
        {
            throw new CelCompileException($"found no matching overload for '{name.Text}' applied to {args.Count + 1} arguments", name.Position);
        }
        return new CallExpr(name.Text, target, args);
    }

    private CelExpr Macro(CelExpr range, Token name)
    {
        var variable = Next();
        if (variable.Kind != TokenKind.Identifier || !Accept(","))
        {
            throw new CelCompileException($"{name.Text}() variable name must be a simple identifier", variable.Position);
        }
        _scope.Add(variable.Text);
        var first = Expression();
        CelExpr? second = Accept(",") ? Expression() : null;
        _scope.RemoveAt(_scope.Count - 1);
        Expect(")");
        return (name.Text, second) switch
        {
            ("map", null) => new ComprehensionExpr("map", range, variable.Text, null, first),
            ("map", _) => new ComprehensionExpr("map", range, variable.Text, first, second),
            (_, null) => new ComprehensionExpr(name.Text, range, variable.Text, first, null),
            _ => throw new CelCompileException($"{name.Text}() takes two arguments", name.Position),
        };
    }

    private List<CelExpr> Arguments()
    {
        var args = new List<CelExpr>();
        if (!Accept(")"))
        {
            do
            {
                args.Add(Expression());
            }
            while (Accept(","));
            Expect(")");
        }
        return args;
    }

    private CelExpr Primary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Int:
                var magnitude = (ulong)token.Value!;
                if (magnitude > long.MaxValue)
                {
                    throw new CelCompileException($"Syntax error: invalid int literal '{token.Text}'", token.Position);
                }
                return new LiteralExpr((long)magnitude);
            case TokenKind.Uint:
                return new LiteralExpr((ulong)token.Value!);
            case TokenKind.Double:
            case TokenKind.String:
                return new LiteralExpr(token.Value);
            case TokenKind.Identifier:
                return Identifier(token);
            case TokenKind.Punct when token.Text == "(":
                var inner = Expression();
                Expect(")");
                return inner;
            case TokenKind.Punct when token.Text == "[":
                var items = new List<CelExpr>();
                while (!Accept("]"))
                {
                    items.Add(Expression());
                    if (!Accept(","))
                    {
                        Expect("]");
                        break;
                    }
                }
                return new ListExpr(items);
            case TokenKind.Punct when token.Text == "{":
                var entries = new List<(CelExpr, CelExpr)>();
                while (!Accept("}"))
                {
                    var key = Expression();
                    Expect(":");
                    entries.Add((key, Expression()));
                    if (!Accept(","))
                    {
                        Expect("}");
                        break;
                    }
                }
                return new MapExpr(entries);
            default:
                _position--;
                throw Error($"Syntax error: mismatched input '{token.Text}' expecting an expression");
        }
    }

    private CelExpr Identifier(Token token)
    {
        switch (token.Text)
        {
            case "true": return new LiteralExpr(true);
            case "false": return new LiteralExpr(false);
            case "null": return new LiteralExpr(null);
        }
        if (!IsPunct("("))
        {
            if (!_scope.Contains(token.Text))
            {
                throw new CelCompileException($"undeclared reference to '{token.Text}' (in container '')", token.Position);
            }
            return new IdentExpr(token.Text);
        }
        _position++;
        if (token.Text == "has")
        {
            var argument = Expression();
            Expect(")");
            return argument is SelectExpr select
                ? new HasExpr(select.Operand, select.Field)
                : throw new CelCompileException("invalid argument to has() macro", token.Position);
        }
        var args = Arguments();
        if (!Functions.TryGetValue(token.Text, out var arity))
        {
            throw new CelCompileException($"undeclared reference to '{token.Text}' (in container '')", token.Position);
        }
        if (arity != args.Count)
        {
            throw new CelCompileException($"found no matching overload for '{token.Text}' applied to {args.Count} arguments", token.Position);
        }
        return new CallExpr(token.Text, null, args);
    }
}
