using System.Collections.Concurrent;
using GridGame.GameServer.Hubs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GridGame.GameServer.Tests.Infrastructure;

/// <summary>A player on the real .NET SignalR client, recording every event the server sends.</summary>
internal sealed class TestPlayer : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<object> _events = new();

    public TestPlayer(string id, string baseUrl, string? token, bool messagePack)
    {
        Id = id;
        var builder = new HubConnectionBuilder().WithUrl(baseUrl + GameHub.Path, options =>
        {
            if (token is not null)
            {
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }
        });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }
        Connection = builder.Build();
        Connection.ServerTimeout = TimeSpan.FromSeconds(30);
        Connection.On<BoardSnapshot>(nameof(IGameClient.BoardSnapshot), e => _events.Enqueue(e));
        // A batch is queued as itself and then claim by claim, so a test can wait for a claim or look at the grouping.
        Connection.On<CellClaimed[]>(nameof(IGameClient.CellsClaimed), claims =>
        {
            _events.Enqueue(new Claims([.. claims.Select(c => c.Seq)]));
            foreach (var claim in claims)
            {
                _events.Enqueue(claim);
            }
        });
        Connection.On<PlayerChange>(nameof(IGameClient.PlayerJoined), e => _events.Enqueue(new Joined(e.Player)));
        Connection.On<PlayerChange>(nameof(IGameClient.PlayerLeft), e => _events.Enqueue(new Left(e.Player)));
        Connection.On<GameStarted>(nameof(IGameClient.GameStarted), e => _events.Enqueue(e));
        Connection.On<GameOver>(nameof(IGameClient.GameOver), e => _events.Enqueue(e));
        Connection.On<ServerDraining>(nameof(IGameClient.ServerDraining), e => _events.Enqueue(e));
        Connection.Closed += _ =>
        {
            _events.Enqueue(new ClosedEvent());
            return Task.CompletedTask;
        };
    }

    public string Id { get; }

    public HubConnection Connection { get; }

    public IEnumerable<object> Events => _events;

    public Task StartAsync() => Connection.StartAsync();

    public Task<BoardSnapshot> JoinAsync(string session) => Connection.InvokeAsync<BoardSnapshot>("JoinGame", session);

    public Task<CellClaimed> ClaimAsync(int row, int col) => Connection.InvokeAsync<CellClaimed>("ClaimCell", row, col);

    /// <summary>Waits (bounded) for an event of type T matching the predicate.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? predicate = null)
    {
        try
        {
            return await Eventually.ValueAsync(() => Task.FromResult(_events.OfType<T>().FirstOrDefault(e => predicate?.Invoke(e) ?? true)), $"{Id} gets a {typeof(T).Name}", Bound);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n  {Id} got: {string.Join(", ", _events.Select(x => x.GetType().Name))}", e);
        }
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

    /// <summary>One <c>CellsClaimed</c> message: the seqs of its claims.</summary>
    public sealed record Claims(IReadOnlyList<long> Seqs);

    public sealed record Joined(string Player);

    public sealed record Left(string Player);

    public sealed record ClosedEvent;
}
