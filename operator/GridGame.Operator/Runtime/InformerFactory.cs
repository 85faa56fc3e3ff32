using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Runtime;

/// <summary>One shared informer per resource type, so two controllers reading pods share one watch and one cache.</summary>
internal sealed class InformerFactory(ResourceApi api, IReadOnlyCollection<string> namespaces, InformerOptions options, TimeProvider time, ILoggerFactory loggerFactory, IInformerObserver? observer)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ResourceType, IInformer> _informers = [];
    private bool _frozen;

    /// <summary>Called when the host starts its informers: an informer asked for later would never run.</summary>
    public void Freeze()
    {
        lock (_gate)
        {
            _frozen = true;
        }
    }

    public IReadOnlyList<IInformer> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _informers.Values];
            }
        }
    }

    public Informer<T> Get<T>(ResourceType? type = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        type ??= ResourceType.For<T>();
        lock (_gate)
        {
            if (_informers.TryGetValue(type, out var existing))
            {
                return existing as Informer<T>
                    ?? throw new InvalidOperationException($"{type} is already informed as {existing.GetType().GenericTypeArguments[0].Name}, not {typeof(T).Name}");
            }

            if (_frozen)
            {
                throw new InvalidOperationException($"{type} was not declared before the operator started: ask for informers in IController.Setup.");
            }

            var informer = new Informer<T>(api, type, namespaces, options, time, loggerFactory.CreateLogger("GridGame.Operator.Runtime.Informer"), observer);
            _informers[type] = informer;
            return informer;
        }
    }
}
