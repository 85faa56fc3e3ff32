using System.Collections.Concurrent;

namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>
/// A compiled <c>x-kubernetes-validations</c> rule: <c>self</c> is the value the rule sits on and <c>oldSelf</c>
/// its previous value, which makes it a transition rule. Compiled once per rule text and cached.
/// </summary>
internal sealed class CelProgram
{
    private static readonly string[] Variables = ["self", "oldSelf"];
    private static readonly ConcurrentDictionary<string, CelProgram> Cache = new(StringComparer.Ordinal);

    private CelProgram(CelExpr? expr, string? compileError, bool usesOldSelf)
    {
        Expression = expr;
        CompileError = compileError;
        UsesOldSelf = usesOldSelf;
    }

    /// <summary>Null when the rule did not compile.</summary>
    public CelExpr? Expression { get; }

    /// <summary>Worded as cel-go's <c>ERROR: &lt;input&gt;:line:column: message</c>.</summary>
    public string? CompileError { get; }

    /// <summary>Whether the rule is a transition rule, run only on update where an old value exists.</summary>
    public bool UsesOldSelf { get; }

    public static CelProgram Compile(string rule) => Cache.GetOrAdd(rule, static text =>
    {
        try
        {
            var expr = CelParser.Parse(text, Variables);
            return new CelProgram(expr, null, References(expr, "oldSelf"));
        }
        catch (CelCompileException e)
        {
            var (line, column) = LineAndColumn(text, e.Position);
            return new CelProgram(null, $"ERROR: <input>:{line}:{column}: {e.Message}", false);
        }
    });

    /// <summary>The rule's value: a bool when it decides, or a <see cref="CelError"/>; anything else is the rule's error.</summary>
    public object? Evaluate(object? self, object? oldSelf = null)
    {
        if (Expression is null)
        {
            return new CelError(CompileError!);
        }
        return CelEvaluator.Evaluate(Expression, new CelScope("self", self, new CelScope("oldSelf", oldSelf, null)));
    }

    private static (int Line, int Column) LineAndColumn(string text, int position)
    {
        var before = text[..Math.Min(position, text.Length)];
        var line = before.Count(c => c == '\n') + 1;
        var column = position - (before.LastIndexOf('\n') + 1) + 1;
        return (line, column);
    }

    private static bool References(CelExpr expr, string name) => expr switch
    {
        IdentExpr ident => ident.Name == name,
        SelectExpr s => References(s.Operand, name),
        HasExpr h => References(h.Operand, name),
        IndexExpr i => References(i.Operand, name) || References(i.Index, name),
        UnaryExpr u => References(u.Operand, name),
        BinaryExpr b => References(b.Left, name) || References(b.Right, name),
        ConditionalExpr c => References(c.Condition, name) || References(c.Then, name) || References(c.Else, name),
        ListExpr l => l.Items.Any(item => References(item, name)),
        MapExpr m => m.Entries.Any(e => References(e.Key, name) || References(e.Value, name)),
        CallExpr call => (call.Target is not null && References(call.Target, name)) || call.Args.Any(a => References(a, name)),
        ComprehensionExpr c => References(c.Range, name)
            || (c.Variable != name && ((c.Predicate is not null && References(c.Predicate, name)) || (c.Transform is not null && References(c.Transform, name)))),
        _ => false,
    };
}
