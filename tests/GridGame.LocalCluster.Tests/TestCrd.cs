namespace GridGame.LocalCluster.Tests;

/// <summary>A small CRD of our own with status and scale subresources, printer columns and a validated schema.</summary>
public static class TestCrd
{
    public const string WidgetCrdJson = """
        {
          "apiVersion": "apiextensions.k8s.io/v1",
          "kind": "CustomResourceDefinition",
          "metadata": { "name": "widgets.test.gridgame.io" },
          "spec": {
            "group": "test.gridgame.io",
            "scope": "Namespaced",
            "names": { "plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList", "shortNames": ["wd"], "categories": ["gridgame"] },
            "versions": [{
              "name": "v1", "served": true, "storage": true,
              "subresources": { "status": {}, "scale": { "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector" } },
              "additionalPrinterColumns": [
                { "name": "Desired", "type": "integer", "jsonPath": ".spec.replicas" },
                { "name": "Ready", "type": "integer", "jsonPath": ".status.replicas" },
                { "name": "Color", "type": "string", "jsonPath": ".spec.color" },
                { "name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp" }
              ],
              "schema": { "openAPIV3Schema": {
                "type": "object",
                "properties": {
                  "apiVersion": { "type": "string" }, "kind": { "type": "string" }, "metadata": { "type": "object" },
                  "spec": { "type": "object", "required": ["replicas"], "properties": {
                    "replicas": { "type": "integer", "minimum": 0, "maximum": 100 },
                    "color": { "type": "string", "enum": ["red", "green", "blue"], "default": "red" },
                    "size": { "x-kubernetes-int-or-string": true }
                  } },
                  "status": { "type": "object", "properties": {
                    "replicas": { "type": "integer" }, "selector": { "type": "string" },
                    "conditions": { "type": "array", "items": { "type": "object", "x-kubernetes-preserve-unknown-fields": true } }
                  } }
                }
              } }
            }]
          }
        }
        """;
}
