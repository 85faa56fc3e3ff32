using System.Globalization;
using System.Text.RegularExpressions;

namespace GridGame.Crds.Validation;

/// <summary>Collects <see cref="FieldError"/>s with the checks both validators share.</summary>
internal sealed class FieldErrorList
{
    private readonly List<FieldError> _errors = [];

    public IReadOnlyList<FieldError> Errors => _errors;

    public void Add(string field, string detail) => _errors.Add(new FieldError(field, detail));

    public void Range(string field, long? value, long min, long max)
    {
        if (value is { } v && (v < min || v > max))
        {
            Add(field, max == long.MaxValue
                ? string.Create(CultureInfo.InvariantCulture, $"must be >= {min} (got {v})")
                : string.Create(CultureInfo.InvariantCulture, $"must be {min}..{max} (got {v})"));
        }
    }

    public void AtLeast(string field, long? value, long min) => Range(field, value, min, long.MaxValue);

    public void Pattern(string field, string? value, string pattern, string what)
    {
        if (value is not null && !Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
        {
            Add(field, $"must be {what} (got {EchoedValue.Quote(value)})");
        }
    }
}
