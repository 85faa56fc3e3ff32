using GridGame.Operator.Hosting;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Runtime;

/// <summary>
/// A controller the host runs. <see cref="Setup"/> is called once, before anything starts, to declare the
/// informers it reads and which events enqueue which keys; then, on the leader only, <see cref="IReconciler.ReconcileAsync"/>
/// is called for each queued key by up to <c>--workers</c> workers.
/// Implementations in the GridGame.Operator assembly with a parameterless constructor are found by
/// <see cref="ControllerCatalog"/>; nothing else needs registering.
/// </summary>
internal interface IController : IReconciler
{
    /// <summary>A short name for logs and metrics: <c>fleet</c>, <c>session</c>.</summary>
    string Name { get; }

    void Setup(ControllerSetup setup);
}

/// <summary>What a controller gets to wire itself up: shared informers, the client, its queue, expectations and event recorder.</summary>
internal sealed class ControllerSetup(string name, ControllerServices services, WorkQueue queue, Expectations expectations)
{
    private readonly List<Func<IEnumerable<string>>> _primaryKeys = [];

    public string Name { get; } = name;

    public Kubernetes Client => services.Client;

    public OperatorOptions Options => services.Options;

    public TimeProvider Time => services.Time;

    public EventRecorder Events => services.Events;

    public ILogger Logger => services.LoggerFactory.CreateLogger($"GridGame.Operator.Controllers.{Name}");

    /// <summary>The registry /metrics serves (null outside a host): where a controller registers its own metrics.</summary>
    public Prometheus.CollectorRegistry? MetricsRegistry => services.MetricsRegistry;

    /// <summary>The controller's queue, for enqueuing keys by hand.</summary>
    public WorkQueue Queue { get; } = queue;

    /// <summary>The controller's expectations; <see cref="Owns{T}"/> informers report observed creates and deletes to it.</summary>
    public Expectations Expectations { get; } = expectations;

    internal IEnumerable<string> PrimaryKeys() => _primaryKeys.SelectMany(f => f());

    /// <summary>The primary resource: every change to one enqueues its own key. All its keys are enqueued when leadership starts.</summary>
    public Informer<T> For<T>(ResourceType? type = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = services.Informers.Get<T>(type);
        informer.Cache.AddHandler(e => Queue.Add(ObjectKey.Of(e.Object)));
        _primaryKeys.Add(informer.Cache.Keys);
        return informer;
    }

    /// <summary>
    /// Owned objects (pods of a fleet): a change enqueues the controller owner of kind <paramref name="ownerKind"/>
    /// (by its controller ownerReference), old and new; an add or delete is reported to <see cref="Expectations"/>.
    /// </summary>
    public Informer<T> Owns<T>(string ownerKind, ResourceType? type = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = services.Informers.Get<T>(type);
        informer.Cache.AddHandler(e =>
        {
            var oldOwner = OwnerKey(e.Old, ownerKind);
            var newOwner = OwnerKey(e.New, ownerKind);
            if (e.Type == WatchEventType.Added && newOwner is not null)
            {
                Expectations.CreationObserved(newOwner);
            }
            else if (e.Type == WatchEventType.Deleted && oldOwner is not null)
            {
                Expectations.DeletionObserved(oldOwner);
            }

            if (oldOwner is not null)
            {
                Queue.Add(oldOwner);
            }

            if (newOwner is not null && newOwner != oldOwner)
            {
                Queue.Add(newOwner);
            }
        });
        return informer;
    }

    /// <summary>Related objects: a change enqueues the keys <paramref name="map"/> returns (a session → its fleet; a pod's annotation → its session).</summary>
    public Informer<T> Watches<T>(Func<T, IEnumerable<string>> map, ResourceType? type = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var informer = services.Informers.Get<T>(type);
        informer.Cache.AddHandler(e =>
        {
            foreach (var obj in new[] { e.Old, e.New })
            {
                if (obj is null)
                {
                    continue;
                }

                foreach (var key in map(obj))
                {
                    Queue.Add(key);
                }
            }
        });
        return informer;
    }

    /// <summary>An informer whose cache the controller reads, without enqueuing anything on its changes.</summary>
    public Informer<T> Informer<T>(ResourceType? type = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
        => services.Informers.Get<T>(type);

    /// <summary>The <c>namespace/name</c> of the object's controller owner of the given kind, or null.</summary>
    public static string? OwnerKey(IKubernetesObject<V1ObjectMeta>? obj, string ownerKind) =>
        obj?.Metadata?.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == ownerKind) is { } owner
            ? ObjectKey.Of(obj.Metadata.NamespaceProperty, owner.Name)
            : null;
}

/// <summary>What the host shares between controllers.</summary>
internal sealed record ControllerServices(
    Kubernetes Client, OperatorOptions Options, TimeProvider Time, EventRecorder Events, InformerFactory Informers, ILoggerFactory LoggerFactory)
{
    /// <summary>The registry /metrics serves, for controllers' own metrics; null outside a host.</summary>
    public Prometheus.CollectorRegistry? MetricsRegistry { get; init; }
}

/// <summary>Finds the controllers compiled into the operator.</summary>
internal static class ControllerCatalog
{
    /// <summary>Every non-abstract <see cref="IController"/> in the operator assembly with a parameterless constructor, by name.</summary>
    public static IReadOnlyList<IController> Discover() =>
        [.. typeof(IController).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IController).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .Select(t => (IController)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)];
}
