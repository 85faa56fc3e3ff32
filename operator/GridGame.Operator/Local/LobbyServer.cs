using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using GridGame.Crds;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridGame.Operator.Local;

/// <summary>
/// The local lobby: a page with a Play button that acts as a tiny matchmaker. It puts the player into a
/// lobby session still waiting for players, or creates a GameSession for the sample fleet, waits for the
/// operator to allocate it, fetches a dev token from the allocated server and sends the browser there.
/// </summary>
internal sealed partial class LobbyServer : IAsyncDisposable
{
    public const string LobbyLabel = "gridgame.io/lobby";
    private const string Fleet = "arena";
    private const string Namespace = "default";
    private static readonly TimeSpan AllocationWait = TimeSpan.FromSeconds(90);

    private readonly WebApplication _web;
    private readonly Kubernetes _client;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly SemaphoreSlim _matching = new(1, 1);

    // Players the lobby has sent to each session; a session takes lobby players until the game can start.
    private readonly Dictionary<string, HashSet<string>> _seated = new(StringComparer.Ordinal);

    private LobbyServer(WebApplication web, Kubernetes client)
    {
        _web = web;
        _client = client;
    }

    public Uri Address { get; private set; } = null!;

    public static async Task<LobbyServer> StartAsync(KubernetesClientConfiguration configuration, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var web = builder.Build();
        var lobby = new LobbyServer(web, new Kubernetes(configuration));
        web.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8"));
        web.MapPost("/api/play", lobby.PlayAsync);
        web.MapGet("/api/sessions", lobby.SessionsAsync);
        await web.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        lobby.Address = new Uri(bound.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return lobby;
    }

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(LobbyServer).Assembly.GetManifestResourceStream("GridGame.Operator.Local.lobby.html")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    internal sealed record PlayRequest(string? Player);

    private async Task<IResult> PlayAsync(PlayRequest request, CancellationToken cancellationToken)
    {
        if (request.Player is not { } player || !PlayerId().IsMatch(player))
        {
            return Results.BadRequest(new { error = "player must be 1-32 letters, digits, '-' or '_'" });
        }

        try
        {
            var session = await SeatAsync(player, cancellationToken).ConfigureAwait(false);
            var allocated = await WaitForAllocationAsync(session, cancellationToken).ConfigureAwait(false);
            var status = allocated.Status!;
            var server = new Uri($"http://{status.Address}:{status.Port}/");
            using var tokenResponse = await _http.GetAsync(new Uri(server, $"dev/token?player={Uri.EscapeDataString(player)}"), cancellationToken).ConfigureAwait(false);
            tokenResponse.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            var token = body.RootElement.GetProperty("token").GetString();
            // The token rides in the fragment: the browser never sends a fragment to a server (so it stays out of request
            // lines, access logs and Referer headers), it crosses from the lobby's origin to the server's in one
            // navigation (storage and cookies would not), and the page removes it from the address bar and the history
            // entry at once (history.replaceState).
            var url = new Uri(server, $"?session={Uri.EscapeDataString(session)}#token={Uri.EscapeDataString(token!)}");
            return Results.Ok(new { session, server = status.ServerName, url = url.AbsoluteUri });
        }
        catch (LobbyException ex)
        {
            return Results.Json(new { error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (HttpRequestException ex)
        {
            return Results.Json(new { error = $"the game server did not answer: {ex.Message}" }, statusCode: StatusCodes.Status502BadGateway);
        }
    }

    /// <summary>Picks the lobby session still short of players, or creates one. One at a time, so two Plays fill one game.</summary>
    private async Task<string> SeatAsync(string player, CancellationToken cancellationToken)
    {
        await _matching.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fleet = await _client.CustomObjects.GetNamespacedCustomObjectAsync<GameFleet>(GridGameApi.Group, GridGameApi.Version, Namespace, GameFleet.KubePluralName, Fleet, cancellationToken).ConfigureAwait(false);
            var needed = Math.Max(1, fleet.Spec.Game?.MinPlayers ?? 2);
            var sessions = await _client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, labelSelector: $"{LobbyLabel}=true", cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var s in sessions.Items.OrderBy(s => s.Metadata.CreationTimestamp))
            {
                var phase = s.Status?.Phase;
                if (s.Metadata.DeletionTimestamp is not null || phase is SessionPhase.Finished or SessionPhase.Failed)
                {
                    _seated.Remove(s.Metadata.Name);
                    continue;
                }

                var seated = _seated.TryGetValue(s.Metadata.Name, out var set) ? set : null;
                if (seated is not null && (seated.Contains(player) || seated.Count < needed))
                {
                    seated.Add(player);
                    return s.Metadata.Name;
                }
            }

            var created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync<GameSession>(new GameSession
            {
                Metadata = new V1ObjectMeta { GenerateName = "lobby-", NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { [LobbyLabel] = "true" } },
                Spec = new GameSessionSpec { FleetName = Fleet },
            }, GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken).ConfigureAwait(false);
            _seated[created.Metadata.Name] = new HashSet<string>(StringComparer.Ordinal) { player };
            return created.Metadata.Name;
        }
        finally
        {
            _matching.Release();
        }
    }

    private async Task<GameSession> WaitForAllocationAsync(string name, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + AllocationWait;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            GameSession session;
            try
            {
                session = await _client.CustomObjects.GetNamespacedCustomObjectAsync<GameSession>(GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, name, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new LobbyException($"session {name} was deleted");
            }

            switch (session.Status?.Phase)
            {
                case SessionPhase.Allocated or SessionPhase.Running when session.Status.Address is not null:
                    return session;
                case SessionPhase.Failed or SessionPhase.Finished:
                    throw new LobbyException($"session {name} is {session.Status.Phase}: {session.Status.Reason} {session.Status.Message}".TrimEnd());
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new LobbyException($"no server was allocated to {name} within {AllocationWait.TotalSeconds:0} s; see `kubectl describe gamesession {name}`");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(500, delay.TotalMilliseconds * 2));
        }
    }

    private async Task<IResult> SessionsAsync(CancellationToken cancellationToken)
    {
        var sessions = await _client.CustomObjects.ListNamespacedCustomObjectAsync<GameSessionList>(GridGameApi.Group, GridGameApi.Version, Namespace, GameSession.KubePluralName, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Ok(sessions.Items
            .OrderByDescending(s => s.Metadata.CreationTimestamp)
            .Select(s => new
            {
                name = s.Metadata.Name,
                phase = s.Status?.Phase?.ToString() ?? "Pending",
                server = s.Status?.ServerName,
                players = s.Status?.Players?.Select(p => $"{p.Id} ({p.Score})").ToList() ?? [],
                winner = s.Status?.Winner,
            }));
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _web.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _web.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _http.Dispose();
        _matching.Dispose();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex PlayerId();

    private sealed class LobbyException(string message) : Exception(message);
}
