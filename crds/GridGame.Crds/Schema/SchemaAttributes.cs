namespace GridGame.Crds.Schema;

/// <summary>Renders <c>minimum</c> in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinimumAttribute(double value) : Attribute
{
    public double Value { get; } = value;
}

/// <summary>Renders <c>maximum</c> in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaximumAttribute(double value) : Attribute
{
    public double Value { get; } = value;
}

/// <summary>Renders <c>pattern</c> (an ECMA-262 regular expression) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;
}

/// <summary>Renders <c>minLength</c> (strings) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinLengthAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}

/// <summary>Renders <c>maxLength</c> (strings) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaxLengthAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}

/// <summary>Renders <c>minItems</c> (lists) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MinItemsAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}

/// <summary>Renders <c>maxItems</c> (lists) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MaxItemsAttribute(int value) : Attribute
{
    public int Value { get; } = value;
}

/// <summary>Constrains each string item of a list (pattern and length) in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemPatternAttribute(string pattern) : Attribute
{
    public string Pattern { get; } = pattern;

    public int MaxLength { get; init; }
}

/// <summary>
/// Renders <c>default</c> in the CRD schema: a scalar (8, true, "Packed"), or JSON text when
/// <see cref="IsJson"/> is set (<c>{}</c> so that nested defaults apply, or a list).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DefaultAttribute(object value) : Attribute
{
    public object Value { get; } = value;

    public bool IsJson { get; init; }
}

/// <summary>Lists the property in its object's <c>required</c> in the CRD schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredAttribute : Attribute;

/// <summary>Adds a CEL rule to <c>x-kubernetes-validations</c> of the type (or property) it decorates.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Property, AllowMultiple = true)]
public sealed class CelRuleAttribute(string rule, string message) : Attribute
{
    public string Rule { get; } = rule;

    public string Message { get; } = message;

    /// <summary>Optional JSONPath (relative to the rule's object) of the field the error is reported on.</summary>
    public string? FieldPath { get; init; }
}

/// <summary>Renders <c>x-kubernetes-preserve-unknown-fields: true</c>: fields the schema does not declare are kept.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PreserveUnknownFieldsAttribute : Attribute;

/// <summary>Renders <c>x-kubernetes-list-type: map</c> with the given key(s): list items are unique by key.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}
