using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>
/// `Auth:Authority`: the game server takes its keys from a real OIDC discovery document (served here by a tiny issuer on
/// loopback) and admits RS256 tokens from that issuer only.
/// </summary>
public sealed class OidcAuthorityTests
{
    private const string Audience = "gridgame";

    [Fact]
    public async Task A_token_from_the_authority_joins_and_forged_or_foreign_tokens_are_refused()
    {
        using var issuerKey = RSA.Create(2048);
        using var otherKey = RSA.Create(2048);
        await using var issuer = await Issuer.StartAsync(issuerKey);
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Authority"] = issuer.Url,
            ["Auth:Audience"] = Audience,
            ["Auth:RequireHttpsMetadata"] = "false",
        });

        await using (var alice = new TestPlayer("alice", server.BaseUrl, issuer.Token(issuerKey, "alice", Audience), messagePack: false))
        {
            await alice.StartAsync();
            var snapshot = await alice.JoinAsync("oidc-game");
            snapshot.You.Should().Be("alice", "the player id is the token's subject");
            issuer.DiscoveryRequests.Should().BeGreaterThan(0, "the keys came from the authority's discovery document");
        }

        var refused = new Dictionary<string, string>
        {
            ["signed by another key under the issuer's key id"] = issuer.Token(otherKey, "mallory", Audience),
            ["for another audience"] = issuer.Token(issuerKey, "mallory", "someone-else"),
            ["from another issuer"] = issuer.Token(issuerKey, "mallory", Audience, issuerUrl: "http://127.0.0.1:1/"),
            ["HS256 with the configured signing key"] = Hs256Token("mallory"),
        };
        foreach (var (why, token) in refused)
        {
            await using var mallory = new TestPlayer("mallory", server.BaseUrl, token, messagePack: false);
            var start = async () => await mallory.StartAsync();
            (await start.Should().ThrowAsync<HttpRequestException>(why)).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized, why);
        }
    }

    private static string Hs256Token(string player) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", player)]),
        Audience = Audience,
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(RunningServer.SigningKey)), SecurityAlgorithms.HmacSha256),
    });

    /// <summary>An OIDC issuer on loopback: a discovery document and a JWKS with one RSA key.</summary>
    private sealed class Issuer : IAsyncDisposable
    {
        private const string KeyId = "test-key-1";
        private readonly WebApplication _app;
        private int _discoveryRequests;

        private Issuer(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

        public static async Task<Issuer> StartAsync(RSA key)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.Build();
            Issuer? self = null;
            var parameters = key.ExportParameters(includePrivateParameters: false);
            app.MapGet("/.well-known/openid-configuration", (HttpContext context) =>
            {
                Interlocked.Increment(ref self!._discoveryRequests);
                return Results.Json(new Dictionary<string, object>
                {
                    ["issuer"] = self.Url,
                    ["jwks_uri"] = self.Url + "jwks",
                    ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                    ["subject_types_supported"] = new[] { "public" },
                    ["response_types_supported"] = new[] { "id_token" },
                });
            });
            app.MapGet("/jwks", () => Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
                },
            }));
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new Issuer(app, address.TrimEnd('/') + "/");
            return self;
        }

        public string Token(RSA key, string player, string audience, string? issuerUrl = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuerUrl ?? Url,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", player)]),
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256),
        });

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
