using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema;

namespace GridGame.Crds.Tests;

/// <summary>The structural-schema rules on small hand-written schemas, for what the GridGame CRDs do not exercise.</summary>
public sealed class StructuralSchemaTests
{
    private static JsonObject Schema(string json) => JsonNode.Parse(json)!.AsObject();

    private static IReadOnlyList<SchemaError> Validate(string schema, string value) => StructuralSchema.Validate(Schema(schema), JsonNode.Parse(value));

    [Fact]
    public void A_nullable_field_accepts_null()
    {
        Validate("""{"type":"object","properties":{"a":{"type":"string","nullable":true}}}""", """{"a":null}""").Should().BeEmpty();
    }

    [Fact]
    public void Defaulting_keeps_a_null_in_a_nullable_field()
    {
        var schema = Schema("""{"type":"object","properties":{"a":{"type":"string","nullable":true,"default":"x"},"b":{"type":"string"}}}""");
        var value = JsonNode.Parse("""{"a":null,"b":null}""")!;

        StructuralSchema.ApplyDefaults(schema, value);

        value.ToJsonString().Should().Be("""{"a":null}""");
    }

    [Fact]
    public void Defaults_apply_inside_list_items_and_map_values()
    {
        var schema = Schema("""
            {"type":"object","properties":{
              "list":{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer","default":1}}}},
              "map":{"type":"object","additionalProperties":{"type":"object","properties":{"m":{"type":"string","default":"d"}}}}}}
            """);
        var value = JsonNode.Parse("""{"list":[{},{"n":5}],"map":{"x":{},"y":{"m":"given"}}}""")!;

        StructuralSchema.ApplyDefaults(schema, value);

        value.ToJsonString().Should().Be("""{"list":[{"n":1},{"n":5}],"map":{"x":{"m":"d"},"y":{"m":"given"}}}""");
    }

    [Fact]
    public void Pruning_keeps_map_values_by_additionalProperties_and_drops_inside_them()
    {
        var schema = Schema("""{"type":"object","properties":{"map":{"type":"object","additionalProperties":{"type":"object","properties":{"keep":{"type":"string"}}}}}}""");
        var value = JsonNode.Parse("""{"map":{"a":{"keep":"k","drop":"d"}},"other":1,"apiVersion":"v1","kind":"K","metadata":{"name":"n"}}""")!;

        StructuralSchema.Prune(schema, value);

        value.ToJsonString().Should().Be("""{"map":{"a":{"keep":"k"}},"apiVersion":"v1","kind":"K","metadata":{"name":"n"}}""");
    }

    [Fact]
    public void An_embedded_resource_keeps_its_apiVersion_kind_and_metadata()
    {
        var schema = Schema("""{"type":"object","properties":{"obj":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}}""");
        var value = JsonNode.Parse("""{"obj":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{},"junk":1}}""")!;

        StructuralSchema.Prune(schema, value);

        value.ToJsonString().Should().Be("""{"obj":{"apiVersion":"v1","kind":"Pod","metadata":{},"spec":{}}}""");
    }

    [Fact]
    public void Large_bounds_print_as_Go_prints_a_float()
    {
        var errors = Validate("""{"type":"object","properties":{"n":{"type":"number","maximum":1000000,"minimum":0.5}}}""", """{"n":2000000}""");

        errors.Should().ContainSingle().Which.Message.Should().Be("Invalid value: 2000000: n in body should be less than or equal to 1e+06");
        Validate("""{"type":"object","properties":{"n":{"type":"number","minimum":0.5}}}""", """{"n":0.25}""")
            .Single().Message.Should().Be("Invalid value: 0.25: n in body should be greater than or equal to 0.5");
    }

    [Fact]
    public void Exclusive_bounds_and_multipleOf_use_their_own_words()
    {
        Validate("""{"type":"object","properties":{"n":{"type":"integer","maximum":10,"exclusiveMaximum":true}}}""", """{"n":10}""")
            .Single().Message.Should().Be("Invalid value: 10: n in body should be less than 10");
        Validate("""{"type":"object","properties":{"n":{"type":"integer","multipleOf":5}}}""", """{"n":12}""")
            .Single().Message.Should().Be("Invalid value: 12: n in body should be a multiple of 5");
    }

    [Fact]
    public void An_integral_float_is_an_integer_and_an_integer_is_a_number()
    {
        Validate("""{"type":"object","properties":{"i":{"type":"integer"},"n":{"type":"number"}}}""", """{"i":3.0,"n":3}""").Should().BeEmpty();
    }

    [Fact]
    public void A_set_rejects_duplicate_items()
    {
        var errors = Validate("""{"type":"object","properties":{"s":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}""", """{"s":["a","b","a"]}""");

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError("s[2]", "FieldValueDuplicate", "Duplicate value: \"a\""));
    }

    [Fact]
    public void An_enum_of_numbers_lists_them_as_JSON()
    {
        var errors = Validate("""{"type":"object","properties":{"n":{"type":"integer","enum":[1,2]}}}""", """{"n":3}""");

        errors.Single().Message.Should().Be("Unsupported value: 3: supported values: \"1\", \"2\"");
    }

    [Fact]
    public void A_string_with_quotes_is_quoted_as_Go_quotes_it()
    {
        var errors = Validate("""{"type":"object","properties":{"s":{"type":"string","enum":["a"]}}}""", """{"s":"say \"hi\"\n"}""");

        errors.Single().Message.Should().Be("Unsupported value: \"say \\\"hi\\\"\\n\": supported values: \"a\"");
    }

    [Fact]
    public void Length_counts_characters_not_bytes()
    {
        Validate("""{"type":"object","properties":{"s":{"type":"string","maxLength":3}}}""", """{"s":"äöü"}""").Should().BeEmpty();
    }

    [Fact]
    public void A_non_int_or_string_anyOf_must_match_one_branch()
    {
        var schema = """{"type":"object","properties":{"v":{"type":"string","anyOf":[{"pattern":"^a"},{"pattern":"^b"}]}}}""";

        Validate(schema, """{"v":"bee"}""").Should().BeEmpty();
        Validate(schema, """{"v":"cat"}""").Single().Message.Should().Be("Invalid value: \"cat\": v in body must validate at least one schema (anyOf)");
    }

    [Fact]
    public void A_wrong_type_is_reported_once_and_stops_the_checks_below_it()
    {
        var errors = Validate("""{"type":"object","properties":{"o":{"type":"object","required":["x"],"properties":{"x":{"type":"string"}}}}}""", """{"o":[1]}""");

        errors.Should().ContainSingle().Which.Should().Be(new SchemaError("o", "FieldValueTypeInvalid", "Invalid value: \"array\": o in body must be of type object: \"array\""));
    }
}
