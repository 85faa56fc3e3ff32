using System.Globalization;
using k8s.Models;

namespace GridGame.LocalCluster.Kubelets;

/// <summary>Where a container's declared ports are actually served on its node's loopback address (containerPort → local port).</summary>
internal sealed record PortMap(IReadOnlyDictionary<int, int> ByContainerPort, IReadOnlyDictionary<string, int> ByName, int Primary)
{
    /// <summary>hostPort when given, else a free port; a container with no ports still gets one free port for PORT.</summary>
    public static PortMap For(V1Container container, Func<int> freePort)
    {
        var byPort = new Dictionary<int, int>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        var primary = 0;
        foreach (var p in container.Ports ?? [])
        {
            var local = p.HostPort is > 0 ? p.HostPort.Value : freePort();
            byPort[p.ContainerPort] = local;
            if (p.Name is { Length: > 0 } name)
            {
                byName[name] = local;
            }
            if (primary == 0)
            {
                primary = local;
            }
        }
        return new PortMap(byPort, byName, primary == 0 ? freePort() : primary);
    }

    /// <summary>A probe's port (number or name) → the local port; an undeclared number is used as it is.</summary>
    public int Resolve(IntOrString port)
    {
        var value = port.Value;
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            return ByContainerPort.TryGetValue(number, out var local) ? local : number;
        }
        return ByName.TryGetValue(value, out var named) ? named : throw new InvalidOperationException($"no container port named \"{value}\"");
    }
}

/// <summary>Secrets and config maps a pod refers to, fetched before its containers start (name → data, decoded).</summary>
internal sealed record ReferencedData(
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Secrets,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfigMaps)
{
    public static readonly ReferencedData None = new(
        new Dictionary<string, IReadOnlyDictionary<string, string>>(), new Dictionary<string, IReadOnlyDictionary<string, string>>());

    public static (HashSet<string> Secrets, HashSet<string> ConfigMaps) Names(V1Pod pod)
    {
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var configMaps = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in pod.Spec?.Containers ?? [])
        {
            foreach (var e in c.Env ?? [])
            {
                if (e.ValueFrom?.SecretKeyRef?.Name is { } s)
                {
                    secrets.Add(s);
                }
                if (e.ValueFrom?.ConfigMapKeyRef?.Name is { } m)
                {
                    configMaps.Add(m);
                }
            }
            foreach (var f in c.EnvFrom ?? [])
            {
                if (f.SecretRef?.Name is { } s)
                {
                    secrets.Add(s);
                }
                if (f.ConfigMapRef?.Name is { } m)
                {
                    configMaps.Add(m);
                }
            }
        }
        return (secrets, configMaps);
    }
}

/// <summary>
/// A container's environment as the kubelet builds it: envFrom, then env in order (with <c>$(VAR)</c> expansion and
/// downward-API, secret and config-map references), then what LocalCluster adds so the process is reachable and can
/// reach the API: <c>PORT</c>, <c>PORT_&lt;NAME&gt;</c> for each named port, <c>ASPNETCORE_URLS</c>, <c>KUBECONFIG</c> (these
/// override the pod's own values).
/// </summary>
internal static class ContainerEnvironment
{
    public static (Dictionary<string, string>? Env, string? Error) Build(
        V1Pod pod, V1Container container, string podIP, string hostIP, PortMap ports, string? kubeconfig, ReferencedData data)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOSTNAME"] = pod.Metadata.Name,
        };
        foreach (var from in container.EnvFrom ?? [])
        {
            var prefix = from.Prefix ?? "";
            IReadOnlyDictionary<string, string>? source = null;
            if (from.SecretRef is { } sr && !data.Secrets.TryGetValue(sr.Name, out source) && sr.Optional != true)
            {
                return (null, $"secret \"{sr.Name}\" not found");
            }
            if (from.ConfigMapRef is { } cr && !data.ConfigMaps.TryGetValue(cr.Name, out source) && cr.Optional != true)
            {
                return (null, $"configmap \"{cr.Name}\" not found");
            }
            foreach (var (k, v) in source ?? new Dictionary<string, string>())
            {
                env[prefix + k] = v;
            }
        }
        foreach (var e in container.Env ?? [])
        {
            if (e.ValueFrom is null)
            {
                env[e.Name] = ContainerCommand.Expand(e.Value ?? "", env);
                continue;
            }
            var (value, error) = Resolve(e.ValueFrom, pod, podIP, hostIP, data);
            if (error is not null)
            {
                return (null, error);
            }
            if (value is not null)
            {
                env[e.Name] = value;
            }
        }
        var port = ports.Primary.ToString(CultureInfo.InvariantCulture);
        env["PORT"] = port;
        // Every named port is served on a local port of its own, which the program cannot guess: PORT_<NAME> tells it.
        foreach (var (name, local) in ports.ByName)
        {
            env["PORT_" + name.ToUpperInvariant().Replace('-', '_')] = local.ToString(CultureInfo.InvariantCulture);
        }
        env["ASPNETCORE_URLS"] = $"http://{podIP}:{port}";
        if (kubeconfig is not null)
        {
            env["KUBECONFIG"] = kubeconfig;
        }
        return (env, null);
    }

    private static (string? Value, string? Error) Resolve(V1EnvVarSource source, V1Pod pod, string podIP, string hostIP, ReferencedData data)
    {
        if (source.FieldRef is { } field)
        {
            return (FieldPath(field.FieldPath, pod, podIP, hostIP), null);
        }
        if (source.SecretKeyRef is { } secret)
        {
            return Lookup(data.Secrets, "secret", secret.Name, secret.Key, secret.Optional == true);
        }
        if (source.ConfigMapKeyRef is { } map)
        {
            return Lookup(data.ConfigMaps, "configmap", map.Name, map.Key, map.Optional == true);
        }
        if (source.ResourceFieldRef is { } resource)
        {
            var c = pod.Spec.Containers.FirstOrDefault(x => x.Name == resource.ContainerName) ?? pod.Spec.Containers[0];
            var parts = resource.Resource.Split('.', 2);
            var list = parts[0] == "requests" ? c.Resources?.Requests : c.Resources?.Limits;
            return (list is not null && list.TryGetValue(parts[^1], out var q) ? q.ToString() : "0", null);
        }
        return (null, null);
    }

    private static (string? Value, string? Error) Lookup(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> source, string kind, string name, string key, bool optional)
    {
        if (source.TryGetValue(name, out var values) && values.TryGetValue(key, out var value))
        {
            return (value, null);
        }
        if (optional)
        {
            return (null, null);
        }
        return (null, source.ContainsKey(name) ? $"couldn't find key {key} in {kind} {name}" : $"{kind} \"{name}\" not found");
    }

    /// <summary>The downward-API field paths the kubelet supports for env.</summary>
    public static string? FieldPath(string path, V1Pod pod, string podIP, string hostIP)
    {
        string? FromMap(IDictionary<string, string>? map, string prefix) =>
            map is not null && map.TryGetValue(path[(prefix.Length + 2)..^2], out var v) ? v : "";
        return path switch
        {
            "metadata.name" => pod.Metadata.Name,
            "metadata.namespace" => pod.Metadata.NamespaceProperty ?? "default",
            "metadata.uid" => pod.Metadata.Uid,
            "spec.nodeName" => pod.Spec.NodeName,
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "default",
            "status.podIP" or "status.podIPs" => podIP,
            "status.hostIP" or "status.hostIPs" => hostIP,
            _ when path.StartsWith("metadata.labels['", StringComparison.Ordinal) => FromMap(pod.Metadata.Labels, "metadata.labels"),
            _ when path.StartsWith("metadata.annotations['", StringComparison.Ordinal) => FromMap(pod.Metadata.Annotations, "metadata.annotations"),
            _ => null,
        };
    }
}
