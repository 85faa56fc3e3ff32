using System.Globalization;
using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema.Cel;

namespace GridGame.LocalCluster.Tests.Units;

/// <summary>The CEL subset on its own: expressions × values of self → value, runtime error or compile error.</summary>
public sealed class CelTests
{
    private const string Session = """{"fleetName":"arena","players":["alice","bob"],"game":{"minPlayers":2,"maxPlayers":4},"labels":{"a":"1","b":"2"},"ratio":0.5}""";

    private static readonly JsonObject SessionSchema = JsonNode.Parse("""
        {"type":"object","properties":{
          "fleetName":{"type":"string"},
          "players":{"type":"array","items":{"type":"string"}},
          "game":{"type":"object","properties":{"minPlayers":{"type":"integer"},"maxPlayers":{"type":"integer"}}},
          "labels":{"type":"object","additionalProperties":{"type":"string"}},
          "ratio":{"type":"number"},
          "weight":{"type":"number"}}}
        """)!.AsObject();

    private static object? Evaluate(string expression, string self = Session, string? oldSelf = null)
    {
        var program = CelProgram.Compile(expression);
        program.CompileError.Should().BeNull();
        return program.Evaluate(
            CelValues.FromJson(JsonNode.Parse(self), SessionSchema),
            oldSelf is null ? null : CelValues.FromJson(JsonNode.Parse(oldSelf), SessionSchema));
    }

    /// <summary>A value written as a CEL literal would be, so that the tables read as CEL.</summary>
    private static string Show(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "u",
        double d => d.ToString("0.0##############", CultureInfo.InvariantCulture),
        string s => "'" + s + "'",
        IReadOnlyList<object?> list => "[" + string.Join(", ", list.Select(Show)) + "]",
        CelMap map => "{" + string.Join(", ", map.Keys.Select(k => Show(k) + ": " + (map.TryGet(k, out var v) ? Show(v) : "?"))) + "}",
        CelError e => "error: " + e.Message,
        _ => value.ToString() ?? "",
    };

    [Theory]
    // literals
    [InlineData("1", "1")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("0x1F", "31")]
    [InlineData("3u", "3u")]
    [InlineData("2.5", "2.5")]
    [InlineData("1e3", "1000.0")]
    [InlineData("'it\\'s'", "'it's'")]
    [InlineData("\"a\\tb\" == 'a\\u0009b'", "true")]
    [InlineData("r'\\d+'", "'\\d+'")]
    [InlineData("\"\"\"two\nlines\"\"\".size()", "9")]
    [InlineData("'\\x41\\u00e9'", "'Aé'")]
    [InlineData("null", "null")]
    [InlineData("[1, 'a', true]", "[1, 'a', true]")]
    [InlineData("{'a': 1, 2: 'b'}", "{'a': 1, 2: 'b'}")]
    // self, selection, index
    [InlineData("self.fleetName", "'arena'")]
    [InlineData("self.players[1]", "'bob'")]
    [InlineData("self.labels['b']", "'2'")]
    [InlineData("self['fleetName']", "'arena'")]
    [InlineData("self.game.minPlayers", "2")]
    [InlineData("self.ratio", "0.5")]
    [InlineData("has(self.game)", "true")]
    [InlineData("has(self.weight)", "false")]
    [InlineData("has(self.labels.c)", "false")]
    // arithmetic
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("7 / 2", "3")]
    [InlineData("-7 / 2", "-3")]
    [InlineData("-7 % 3", "-1")]
    [InlineData("7.0 / 2.0", "3.5")]
    [InlineData("-self.game.maxPlayers", "-4")]
    [InlineData("5u - 3u", "2u")]
    [InlineData("'a' + 'b'", "'ab'")]
    [InlineData("self.players + ['carol']", "['alice', 'bob', 'carol']")]
    // comparison, logic
    [InlineData("self.game.minPlayers <= self.game.maxPlayers", "true")]
    [InlineData("1 < 1.5", "true")]
    [InlineData("2u > 1", "true")]
    [InlineData("1 == 1.0", "true")]
    [InlineData("'abc' < 'abd'", "true")]
    [InlineData("false < true", "true")]
    [InlineData("[1, 2] == [1, 2]", "true")]
    [InlineData("{'a': 1} == {'a': 1.0}", "true")]
    [InlineData("self.labels == {'b': '2', 'a': '1'}", "true")]
    [InlineData("1 == 'a'", "false")]
    [InlineData("null == null", "true")]
    [InlineData("'bob' in self.players", "true")]
    [InlineData("'c' in self.labels", "false")]
    [InlineData("!true || false", "false")]
    [InlineData("true && !false", "true")]
    [InlineData("self.game.minPlayers > 3 ? 'big' : 'small'", "'small'")]
    // error absorption: a deciding side wins over an error on the other
    [InlineData("false && 1 / 0 == 1", "false")]
    [InlineData("1 / 0 == 1 && false", "false")]
    [InlineData("true || self.missing", "true")]
    [InlineData("self.missing || true", "true")]
    [InlineData("!has(self.weight) || self.weight > 1.0", "true")]
    [InlineData("[0, 1].exists(x, 1 / x == 1)", "true")]
    [InlineData("[0, 1].all(x, 1 / x == 2)", "false")]
    // functions
    [InlineData("size(self.players)", "2")]
    [InlineData("self.players.size()", "2")]
    [InlineData("size('héllo')", "5")]
    [InlineData("self.labels.size()", "2")]
    [InlineData("self.fleetName.startsWith('ar')", "true")]
    [InlineData("self.fleetName.endsWith('na')", "true")]
    [InlineData("self.fleetName.contains('ren')", "true")]
    [InlineData("self.fleetName.matches('^[a-z]+$')", "true")]
    [InlineData("matches('a1', '\\\\d')", "true")]
    [InlineData("int('42') + int(2.9) + int(-2.9) + int(3u)", "45")]
    [InlineData("uint(7)", "7u")]
    [InlineData("double(3) / 2.0", "1.5")]
    [InlineData("string(12) + string(true) + string(0.5) + string(4u)", "'12true0.54'")]
    [InlineData("bool('true')", "true")]
    // macros
    [InlineData("self.players.all(p, self.players.exists_one(q, q == p))", "true")]
    [InlineData("['a', 'b', 'a'].all(p, ['a', 'b', 'a'].exists_one(q, q == p))", "false")]
    [InlineData("self.players.exists(p, p == 'bob')", "true")]
    [InlineData("self.players.exists_one(p, p.startsWith('a'))", "true")]
    [InlineData("[1, 2, 3].map(x, x * 2)", "[2, 4, 6]")]
    [InlineData("[1, 2, 3].map(x, x > 1, x * 10)", "[20, 30]")]
    [InlineData("[1, 2, 3, 4].filter(x, x % 2 == 0)", "[2, 4]")]
    [InlineData("self.labels.all(k, self.labels[k].size() == 1)", "true")]
    [InlineData("self.labels.map(k, k)", "['a', 'b']")]
    [InlineData("[].all(x, false)", "true")]
    [InlineData("[[1, 2], [3]].all(l, l.all(x, x > 0))", "true")]
    // the Kubernetes libraries' most used functions
    [InlineData("'MiXed-1'.lowerAscii() + 'MiXed-1'.upperAscii()", "'mixed-1MIXED-1'")]
    [InlineData("'  a b '.trim()", "'a b'")]
    [InlineData("'a,b,,c'.split(',')", "['a', 'b', '', 'c']")]
    [InlineData("'a,b,c'.split(',', 2)", "['a', 'b,c']")]
    [InlineData("['a', 'b'].join('-') + ['x'].join()", "'a-bx'")]
    [InlineData("'héllo'.indexOf('l') + 'héllo'.lastIndexOf('l') + 'héllo'.indexOf('z')", "4")]
    [InlineData("'hello'.indexOf('l', 3)", "3")]
    [InlineData("'héllo'.substring(1, 3) + 'hello'.substring(3) + 'hello'.charAt(1)", "'élloe'")]
    [InlineData("'a.b.c'.replace('.', '/') + 'a.b.c'.replace('.', '/', 1)", "'a/b/ca/b.c'")]
    [InlineData("[1, 2, 2, 5].isSorted() && !['b', 'a'].isSorted()", "true")]
    [InlineData("[3, 1, 2].min() + [3, 1, 2].max() * 10 + [3, 1, 2].sum() * 100", "631")]
    [InlineData("[1.5, 2.5].sum()", "4.0")]
    [InlineData("['a', 'b', 'a'].indexOf('a') + ['a', 'b', 'a'].lastIndexOf('a') + [1].indexOf(2)", "1")]
    public void An_expression_evaluates_to_its_value(string expression, string expected) =>
        Show(Evaluate(expression)).Should().Be(expected);

    [Theory]
    [InlineData("self == oldSelf", """{"players":["alice","bob"],"fleetName":"arena"}""", "true")]
    [InlineData("self == oldSelf", """{"fleetName":"arena","players":["bob","alice"]}""", "false")]
    [InlineData("self == oldSelf", """{"fleetName":"arena"}""", "false")]
    [InlineData("self.fleetName == oldSelf.fleetName", """{"fleetName":"arena"}""", "true")]
    [InlineData("self.players.size() >= oldSelf.players.size()", """{"players":["alice","bob","carol"]}""", "false")]
    public void OldSelf_is_the_previous_value(string expression, string oldSelf, string expected)
    {
        var self = """{"fleetName":"arena","players":["alice","bob"]}""";
        Show(Evaluate(expression, self, oldSelf)).Should().Be(expected);
    }

    [Theory]
    [InlineData("9223372036854775807 + 1", "integer overflow")]
    [InlineData("-9223372036854775808 - 1", "integer overflow")]
    [InlineData("-9223372036854775808 / -1", "integer overflow")]
    [InlineData("4611686018427387904 * 2", "integer overflow")]
    [InlineData("0u - 1u", "unsigned integer overflow")]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("1 % 0", "modulus by zero")]
    [InlineData("self.weight", "no such key: weight")]
    [InlineData("self.labels['c']", "no such key: c")]
    [InlineData("self.players[2]", "index out of bounds: 2")]
    [InlineData("1 + 1.0", "no such overload")]
    [InlineData("'a' < 1", "no such overload")]
    [InlineData("1 && true", "no such overload")]
    [InlineData("self.fleetName.size() > 1 && self.missing", "no such key: missing")]
    [InlineData("1 / 0 == 1 || 2 / 0 == 1", "division by zero")]
    [InlineData("[0, 1].all(x, 1 / x == 1)", "division by zero")]
    [InlineData("[0, 1].exists_one(x, 1 / x == 1)", "division by zero")]
    [InlineData("int('x')", "cannot convert 'x' to int")]
    [InlineData("int(1e19)", "range error converting double to int")]
    [InlineData("uint(-1)", "range error converting int to uint")]
    [InlineData("'a'.matches('(')", "invalid regular expression")]
    [InlineData("{'a': 1, 'a': 2}", "repeated key")]
    [InlineData("self.fleetName.f", "does not support field selection")]
    [InlineData("1 ? 2 : 3", "no such overload")]
    [InlineData("'abc'.substring(2, 5)", "index out of range: 5")]
    [InlineData("[].min()", "min called on empty list")]
    [InlineData("[9223372036854775807, 1].sum()", "integer overflow")]
    [InlineData("[1, 'a'].isSorted()", "no such overload")]
    [InlineData("1.lowerAscii()", "no such overload")]
    public void A_runtime_error_is_an_error_value(string expression, string error) =>
        Evaluate(expression).Should().BeOfType<CelError>().Which.Message.Should().Contain(error);

    [Theory]
    [InlineData("self.a ==", "1:10: Syntax error")]
    [InlineData("foo == 1", "1:1: undeclared reference to 'foo'")]
    [InlineData("self.players.all(p, q == p)", "1:21: undeclared reference to 'q'")]
    [InlineData("now()", "undeclared reference to 'now'")]
    [InlineData("self.fleetName.reverse()", "found no matching overload for 'reverse'")]
    [InlineData("self.fleetName.substring(1, 2, 3)", "found no matching overload for 'substring' applied to 4 arguments")]
    [InlineData("size(1, 2)", "found no matching overload for 'size' applied to 2 arguments")]
    [InlineData("self.all(1, true)", "all() variable name must be a simple identifier")]
    [InlineData("has(self)", "invalid argument to has() macro")]
    [InlineData("'abc", "unterminated string literal")]
    [InlineData("9223372036854775808", "invalid int literal")]
    [InlineData("1 # 2", "token recognition error at: '#'")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!true", "expression recursion limit exceeded")]
    [InlineData("self.x\n  && y", "2:6: undeclared reference to 'y'")]
    public void A_malformed_rule_is_a_compile_error(string expression, string error) =>
        CelProgram.Compile(expression).CompileError.Should().StartWith("ERROR: <input>:").And.Contain(error);

    [Theory]
    [InlineData("self == oldSelf", true)]
    [InlineData("self.all(x, x == oldSelf)", true)]
    [InlineData("self.fleetName != ''", false)]
    [InlineData("[1].all(oldSelf, oldSelf > 0)", false)]
    public void A_rule_that_reads_oldSelf_is_a_transition_rule(string expression, bool transition) =>
        CelProgram.Compile(expression).UsesOldSelf.Should().Be(transition);

    [Fact]
    public void A_number_field_is_a_double_even_when_its_JSON_is_integral()
    {
        var value = CelValues.FromJson(JsonNode.Parse("""{"ratio":1,"count":1}"""), SessionSchema);
        Show(CelProgram.Compile("[self.ratio, self.count]").Evaluate(value)).Should().Be("[1.0, 1]");
    }

    [Fact]
    public void Numbers_built_in_code_convert_as_parsed_ones_do()
    {
        var value = CelValues.FromJson(new JsonObject { ["count"] = 3, ["big"] = 3L, ["ratio"] = 2 }, SessionSchema);
        Show(CelProgram.Compile("[self.count, self.big, self.ratio]").Evaluate(value)).Should().Be("[3, 3, 2.0]");
    }

    [Theory]
    [InlineData("self.max__dash__players", "4")]
    [InlineData("self.__namespace__", "'ns'")]
    [InlineData("self.a__dot__b__slash__c", "'x'")]
    [InlineData("self.__underscores__x", "'u'")]
    [InlineData("has(self.max__dash__players)", "true")]
    public void Property_names_CEL_cannot_spell_are_read_escaped_as_the_API_server_escapes_them(string expression, string expected)
    {
        var schema = JsonNode.Parse("""{"type":"object","properties":{"max-players":{"type":"integer"},"namespace":{"type":"string"},"a.b/c":{"type":"string"},"__x":{"type":"string"}}}""")!.AsObject();
        var value = CelValues.FromJson(JsonNode.Parse("""{"max-players":4,"namespace":"ns","a.b/c":"x","__x":"u"}"""), schema);
        Show(CelProgram.Compile(expression).Evaluate(value)).Should().Be(expected);
    }
}
