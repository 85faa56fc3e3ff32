using System.Collections.Concurrent;
using GridGame.Operator.Runtime;
using k8s;
using k8s.Models;

namespace GridGame.Operator.Tests.Runtime;

/// <summary>Counts reconciles of ConfigMaps, to see which replica works.</summary>
internal sealed class CountingController : IController
{
    private int _reconciles;

    public string Name => "counting";

    public int Reconciles => Volatile.Read(ref _reconciles);

    public ConcurrentQueue<string> Keys { get; } = new();

    public void Setup(ControllerSetup setup) => setup.For<V1ConfigMap>();

    public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reconciles);
        Keys.Enqueue(key);
        return Task.FromResult(ReconcileResult.Done);
    }
}

/// <summary>
/// A ConfigMap with <c>data.replicas: N</c> owns N pods (a miniature fleet controller). It creates pods but
/// deliberately does not put them in its cache, so only expectations stop a reconcile that outruns the watch
/// from creating them again.
/// </summary>
internal sealed class ReplicaController(bool useExpectations = true) : IController
{
    private Informer<V1ConfigMap> _owners = null!;
    private Informer<V1Pod> _pods = null!;
    private ControllerSetup _setup = null!;
    private int _creates;

    public string Name => "replicas";

    public int Creates => Volatile.Read(ref _creates);

    public Expectations Expectations => _setup.Expectations;

    public Informer<V1Pod> Pods => _pods;

    public void Setup(ControllerSetup setup)
    {
        _setup = setup;
        _owners = setup.For<V1ConfigMap>();
        _pods = setup.Owns<V1Pod>("ConfigMap");
    }

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var owner = _owners.Cache.Get(key);
        if (owner is null)
        {
            Expectations.Forget(key);
            return ReconcileResult.Done;
        }

        if (useExpectations && !Expectations.Satisfied(key))
        {
            return ReconcileResult.Done;
        }

        var want = int.Parse((owner.Data is { } data && data.TryGetValue("replicas", out var r) ? r : "0"), System.Globalization.CultureInfo.InvariantCulture);
        var have = _pods.Cache.ByIndex(CacheIndexes.Owner, owner.Metadata.Uid).Count;
        if (have >= want)
        {
            return ReconcileResult.Done;
        }

        Expectations.ExpectCreations(key, want - have);
        for (var i = have; i < want; i++)
        {
            try
            {
                var pod = PodBuilder.Pod(name: null!, rv: null, ns: owner.Metadata.NamespaceProperty, ownerUid: owner.Metadata.Uid, ownerKind: "ConfigMap", ownerName: owner.Metadata.Name);
                pod.Metadata.Name = null;
                pod.Metadata.Uid = null;
                pod.Metadata.GenerateName = owner.Metadata.Name + "-";
                pod.Metadata.OwnerReferences[0].ApiVersion = "v1";
                await _setup.Client.CoreV1.CreateNamespacedPodAsync(pod, owner.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _creates);
            }
            catch
            {
                Expectations.CreationObserved(key);
                throw;
            }
        }

        return ReconcileResult.Done;
    }
}
