namespace GridGame.LocalCluster.Schema.Cel;

/// <summary>A node of a parsed, checked CEL expression: identifiers are resolved and macros expanded.</summary>
internal abstract record CelExpr;

internal sealed record LiteralExpr(object? Value) : CelExpr;

/// <summary><c>self</c>, <c>oldSelf</c> or a macro's iteration variable.</summary>
internal sealed record IdentExpr(string Name) : CelExpr;

internal sealed record SelectExpr(CelExpr Operand, string Field) : CelExpr;

/// <summary><c>has(x.f)</c>: whether the field is present, without reading it.</summary>
internal sealed record HasExpr(CelExpr Operand, string Field) : CelExpr;

internal sealed record IndexExpr(CelExpr Operand, CelExpr Index) : CelExpr;

/// <summary>A function (<paramref name="Target"/> null) or method call.</summary>
internal sealed record CallExpr(string Function, CelExpr? Target, IReadOnlyList<CelExpr> Args) : CelExpr;

internal sealed record UnaryExpr(string Op, CelExpr Operand) : CelExpr;

/// <summary>Arithmetic, comparison, <c>in</c>, and the short-circuiting <c>&amp;&amp;</c> and <c>||</c>.</summary>
internal sealed record BinaryExpr(string Op, CelExpr Left, CelExpr Right) : CelExpr;

internal sealed record ConditionalExpr(CelExpr Condition, CelExpr Then, CelExpr Else) : CelExpr;

internal sealed record ListExpr(IReadOnlyList<CelExpr> Items) : CelExpr;

internal sealed record MapExpr(IReadOnlyList<(CelExpr Key, CelExpr Value)> Entries) : CelExpr;

/// <summary>
/// The macros <c>all</c>, <c>exists</c>, <c>exists_one</c>, <c>filter</c> (with <paramref name="Predicate"/>) and
/// <c>map</c> (with <paramref name="Transform"/>, and a predicate in its three-argument form) over a list or a map's keys.
/// </summary>
internal sealed record ComprehensionExpr(string Macro, CelExpr Range, string Variable, CelExpr? Predicate, CelExpr? Transform) : CelExpr;
