using GridGame.Crds.Validation;

namespace GridGame.Crds.Tests;

public sealed class EchoedValueTests
{
    private static readonly string Sixty4 = new('a', 64);

    public static TheoryData<string, string, string> Values => new()
    {
        { "empty", "", "\"\"" },
        { "short", "Packed", "\"Packed\"" },
        { "exactly the bound", Sixty4, $"\"{Sixty4}\"" },
        { "one over", Sixty4 + "b", $"\"{Sixty4}…\" (65 characters)" },
        { "100,000 characters", new string('x', 100_000), $"\"{new string('x', 64)}…\" (100000 characters)" },
        { "a surrogate pair across the cut", new string('a', 63) + "😀" + "tail", $"\"{new string('a', 63)}…\" (69 characters)" },
        { "a surrogate pair before the cut", new string('a', 62) + "😀" + "tail", $"\"{new string('a', 62)}😀…\" (68 characters)" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_value_is_quoted_and_cut_to_the_bound(string why, string value, string expected) =>
        EchoedValue.Quote(value).Should().Be(expected, why);
}
