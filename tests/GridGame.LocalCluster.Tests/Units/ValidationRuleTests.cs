using System.Text.Json.Nodes;
using GridGame.LocalCluster.Schema;

namespace GridGame.LocalCluster.Tests.Units;

/// <summary>
/// <see cref="StructuralSchema.ValidateRules"/> on its own: where rules run in a schema, and the field errors
/// they give, worded as apiextensions-apiserver's CEL validator words them.
/// </summary>
public sealed class ValidationRuleTests
{
    private static readonly JsonObject Schema = JsonNode.Parse("""
        {"type":"object","properties":{
          "name":{"type":"string","x-kubernetes-validations":[{"rule":"self == oldSelf","message":"name is immutable"}]},
          "range":{"type":"object",
            "properties":{"min":{"type":"integer"},"max":{"type":"integer"}},
            "x-kubernetes-validations":[{"rule":"!has(self.min) || !has(self.max) || self.min <= self.max","fieldPath":".min","message":"min must be <= max"}]},
          "items":{"type":"array","items":{"type":"object",
            "properties":{"port":{"type":"integer"}},
            "x-kubernetes-validations":[{"rule":"self.port > 1024","message":"ports are unprivileged","reason":"FieldValueForbidden"}]}},
          "limits":{"type":"object","additionalProperties":{"type":"integer",
            "x-kubernetes-validations":[{"rule":"self >= 0"},{"rule":"self <= oldSelf","message":"limits only shrink"}]}},
          "nullable":{"type":"string","nullable":true,"x-kubernetes-validations":[{"rule":"self.size() > 3"}]},
          "broken":{"type":"string","x-kubernetes-validations":[{"rule":"self == nothing"}]},
          "failing":{"type":"integer","x-kubernetes-validations":[{"rule":"10 / self > 1","message":"small"}]},
          "mistyped":{"x-kubernetes-int-or-string":true,"x-kubernetes-validations":[{"rule":"self > 1"}]},
          "slots":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],"items":{"type":"object",
            "properties":{"name":{"type":"string"},"size":{"type":"integer"}},
            "x-kubernetes-validations":[{"rule":"self.size >= oldSelf.size","messageExpression":"'slot ' + self.name + ' shrank from ' + string(oldSelf.size)"}]}},
          "quota":{"type":"integer","x-kubernetes-validations":[
            {"rule":"self < 10","message":"fallback","messageExpression":"1 / 0 == 1 ? 'x' : 'y'"},
            {"rule":"self < 100","message":"empty falls back","messageExpression":"' '"}]}},
         "x-kubernetes-validations":[{"rule":"!has(self.name) || self.name != 'root'","reason":"FieldValueRequired","message":"not root"}]}
        """)!.AsObject();

    private static List<string> Errors(string value, string? old = null) =>
        StructuralSchema.ValidateRules(Schema, JsonNode.Parse(value), old is null ? null : JsonNode.Parse(old))
            .Select(e => $"{e.Reason} {e}").ToList();

    [Theory]
    [InlineData("""{"name":"a","range":{"min":1,"max":2},"items":[{"port":8080}],"limits":{"cpu":1},"nullable":null,"failing":5}""")]
    [InlineData("""{}""")]
    public void A_valid_value_has_no_errors(string value) => Errors(value).Should().BeEmpty();

    [Theory]
    [InlineData("""{"range":{"min":3,"max":2}}""", "FieldValueInvalid range.min: Invalid value: \"object\": min must be <= max")]
    [InlineData("""{"items":[{"port":8080},{"port":80}]}""", "FieldValueForbidden items[1]: Forbidden: ports are unprivileged")]
    [InlineData("""{"limits":{"cpu":-1}}""", "FieldValueInvalid limits[cpu]: Invalid value: \"integer\": failed rule: self >= 0")]
    [InlineData("""{"nullable":"ab"}""", "FieldValueInvalid nullable: Invalid value: \"string\": failed rule: self.size() > 3")]
    [InlineData("""{"name":"root"}""", "FieldValueRequired <nil>: Required value: not root")]
    [InlineData("""{"failing":0}""", "FieldValueInvalid failing: Invalid value: \"integer\": division by zero evaluating rule: small")]
    [InlineData("""{"mistyped":"x"}""",
        "FieldValueInvalid mistyped: Invalid value: \"\": 'no such overload: _>_': call arguments did not match a supported operator, function or macro signature for rule: self > 1")]
    [InlineData("""{"broken":"x"}""",
        "FieldValueInvalid broken: Invalid value: \"string\": rule compile error: compilation failed: ERROR: <input>:1:9: undeclared reference to 'nothing' (in container '')")]
    public void A_failing_rule_is_one_field_error(string value, string error) => Errors(value).Should().Equal(error);

    [Theory]
    [InlineData("""{"quota":50}""", "quota: Invalid value: \"integer\": fallback")]
    [InlineData("""{"quota":200}""", "quota: Invalid value: \"integer\": fallback", "quota: Invalid value: \"integer\": empty falls back")]
    public void A_messageExpression_that_fails_or_is_blank_falls_back_on_message(string value, params string[] errors) =>
        StructuralSchema.ValidateRules(Schema, JsonNode.Parse(value), null).Select(e => e.ToString()).Should().Equal(errors);

    [Fact]
    public void Items_of_a_map_list_are_correlated_with_the_old_item_of_the_same_key_and_messageExpression_words_the_error() =>
        Errors("""{"slots":[{"name":"a","size":1},{"name":"b","size":5},{"name":"c","size":0}]}""", """{"slots":[{"name":"b","size":6},{"name":"a","size":1}]}""")
            .Should().Equal("FieldValueInvalid slots[1]: Invalid value: \"object\": slot b shrank from 6");

    [Fact]
    public void Transition_rules_do_not_run_on_create() =>
        Errors("""{"name":"a","limits":{"cpu":5}}""").Should().BeEmpty();

    [Fact]
    public void Transition_rules_compare_with_the_old_value_of_the_same_field_and_map_key() =>
        Errors("""{"name":"b","limits":{"cpu":5,"mem":9}}""", """{"name":"a","limits":{"cpu":4}}""").Should().Equal(
            "FieldValueInvalid name: Invalid value: \"string\": name is immutable",
            "FieldValueInvalid limits[cpu]: Invalid value: \"integer\": limits only shrink");

    [Fact]
    public void Transition_rules_pass_when_the_value_is_unchanged() =>
        Errors("""{"name":"a","limits":{"cpu":4}}""", """{"name":"a","limits":{"cpu":4}}""").Should().BeEmpty();

    [Fact]
    public void A_schema_without_rules_has_none_and_one_with_nested_rules_has_them()
    {
        StructuralSchema.HasRules(Schema).Should().BeTrue();
        StructuralSchema.HasRules(JsonNode.Parse("""{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}""")!.AsObject()).Should().BeFalse();
        StructuralSchema.HasRules(JsonNode.Parse("""{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","x-kubernetes-validations":[]}}}}""")!.AsObject()).Should().BeTrue();
    }

    [Theory]
    [InlineData("FieldValueTypeInvalid", true)]
    [InlineData("FieldValueRequired", true)]
    [InlineData("FieldValueNotSupported", true)]
    [InlineData("FieldValueTooLong", true)]
    [InlineData("FieldValueTooMany", true)]
    [InlineData("FieldValueInvalid", false)]
    [InlineData("FieldValueDuplicate", false)]
    public void Shape_errors_block_the_rules_and_value_errors_do_not(string reason, bool blocks) =>
        StructuralSchema.BlocksRules([new SchemaError("spec.x", reason, "")]).Should().Be(blocks);
}
