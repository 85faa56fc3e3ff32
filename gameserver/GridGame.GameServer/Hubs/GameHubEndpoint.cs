using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;

namespace GridGame.GameServer.Hubs;

/// <summary>
/// Maps the game hub as <c>MapHub</c> does (the hub's attributes, <c>[Authorize]</c> included, and its
/// <see cref="HubMetadata"/> on the endpoint), with the <see cref="ConnectionGuard"/> in front of it: MapHub has no
/// place for a connection middleware.
/// </summary>
internal static class GameHubEndpoint
{
    public static void MapGameHub(this WebApplication app)
    {
        var guard = app.Services.GetRequiredService<ConnectionGuard>();
        var endpoint = app.MapConnections(GameHub.Path, new HttpConnectionDispatcherOptions(), connection => connection
            .Use(next => context => guard.OnConnectedAsync(context, next))
            .UseHub<GameHub>());
        var attributes = typeof(GameHub).GetCustomAttributes(inherit: true);
        endpoint.Add(e =>
        {
            foreach (var attribute in attributes)
            {
                e.Metadata.Add(attribute);
            }
            e.Metadata.Add(new HubMetadata(typeof(GameHub)));
        });
    }
}
