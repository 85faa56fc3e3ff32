using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using GridGame.GameServer.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GridGame.GameServer.Tests.Hubs;

/// <summary>What the hub accepts as a token, and what it tells a caller whose token it refuses.</summary>
public sealed class TokenValidationTests
{
    [Theory]
    [InlineData(-60, HttpStatusCode.Unauthorized)]   // expired a minute ago: beyond the 30 s clock skew
    [InlineData(-240, HttpStatusCode.Unauthorized)]  // within the library's default 5 minutes, refused all the same
    [InlineData(-10, HttpStatusCode.OK)]             // clocks a little apart
    [InlineData(600, HttpStatusCode.OK)]
    public async Task A_token_is_accepted_only_up_to_30_seconds_past_its_expiry(int expiresInSeconds, HttpStatusCode expected)
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await NegotiateAsync(server, Token("alice", DateTimeOffset.UtcNow.AddSeconds(expiresInSeconds)));

        response.StatusCode.Should().Be(expected);
    }

    [Fact]
    public async Task A_refused_token_is_told_no_more_than_Bearer()
    {
        await using var server = await RunningServer.StartAsync();
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", "alice")]),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(new byte[32]), SecurityAlgorithms.HmacSha256),
        });

        foreach (var token in new string?[] { Token("alice", DateTimeOffset.UtcNow.AddHours(-1)), forged, "not-a-jwt", null })
        {
            using var response = await NegotiateAsync(server, token);

            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            response.Headers.WwwAuthenticate.Select(h => h.ToString()).Should().Equal(["Bearer"], token ?? "no token");
        }
    }

    private static async Task<HttpResponseMessage> NegotiateAsync(RunningServer server, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/game/negotiate?negotiateVersion=1");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return await server.Http.SendAsync(request);
    }

    /// <summary>A token signed with the server's key that expires at <paramref name="expires"/>.</summary>
    private static string Token(string player, DateTimeOffset expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", player)]),
        IssuedAt = expires.UtcDateTime.AddHours(-1),
        NotBefore = expires.UtcDateTime.AddHours(-1),
        Expires = expires.UtcDateTime,
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(RunningServer.SigningKey)), SecurityAlgorithms.HmacSha256),
    });
}
