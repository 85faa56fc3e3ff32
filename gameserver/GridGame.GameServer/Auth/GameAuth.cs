using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GridGame.GameServer;

/// <summary>
/// JWT bearer authentication for the hub: HS256 tokens signed with <c>Auth:SigningKey</c>, or tokens from the OIDC
/// issuer at <c>Auth:Authority</c>. The token's subject is the player id. <c>Auth:DevTokens</c> turns on
/// <c>GET /dev/token?player=ID</c>, which signs a token for anyone: for local play only.
/// </summary>
internal static partial class GameAuth
{
    public const string PlayerClaim = "sub";

    /// <summary>How far a token's expiry (and not-before) may be off: tokens expired longer ago than this are refused.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The key tokens are signed with when none is configured: random per process, so only its own dev tokens pass.</summary>
    private static readonly byte[] EphemeralKey = RandomNumberGenerator.GetBytes(32);

    public static void AddGameAuth(this WebApplicationBuilder builder)
    {
        var auth = builder.Configuration.GetSection("Auth");
        var authority = auth["Authority"];
        var key = SigningKey(builder.Configuration);
        builder.Services.AddAuthorization();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters.NameClaimType = PlayerClaim;
            // Chosen, not the library's 5 minutes: enough for clocks a little apart, not a token that ended minutes ago.
            options.TokenValidationParameters.ClockSkew = ClockSkew;
            // A refused caller gets "Bearer" and a 401, not why its token failed (expired when, which key was missing).
            options.IncludeErrorDetails = false;
            if (!string.IsNullOrEmpty(authority))
            {
                options.Authority = authority;
                // Real issuers are https; a local one (a test or a dev IdP on loopback) may be plain http if ops say so.
                options.RequireHttpsMetadata = auth.GetValue("RequireHttpsMetadata", true);
                options.Audience = auth["Audience"];
                options.TokenValidationParameters.ValidateAudience = !string.IsNullOrEmpty(auth["Audience"]);
            }
            else
            {
                options.TokenValidationParameters.IssuerSigningKey = key;
                options.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                options.TokenValidationParameters.ValidateIssuer = !string.IsNullOrEmpty(auth["Issuer"]);
                options.TokenValidationParameters.ValidIssuer = auth["Issuer"];
                options.TokenValidationParameters.ValidateAudience = !string.IsNullOrEmpty(auth["Audience"]);
                options.TokenValidationParameters.ValidAudience = auth["Audience"];
            }
            options.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on WebSockets: SignalR sends the token in the query string.
                OnMessageReceived = context =>
                {
                    var token = context.Request.Query["access_token"];
                    if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments("/hubs", StringComparison.Ordinal))
                    {
                        context.Token = token;
                    }
                    return Task.CompletedTask;
                },
            };
        });
    }

    public static void MapDevTokens(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Auth:DevTokens", false))
        {
            return;
        }
        var key = SigningKey(app.Configuration);
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.MapGet("/dev/token", (string? player) =>
        {
            if (string.IsNullOrEmpty(player) || !PlayerId().IsMatch(player))
            {
                return Results.BadRequest(new { error = "player must be 1-64 letters, digits, '.', '_', '-' or '@'" });
            }
            return Results.Ok(new { token = CreateToken(key, player, time.GetUtcNow(), app.Configuration["Auth:Issuer"], app.Configuration["Auth:Audience"]) });
        });
    }

    /// <summary>Signs an HS256 token whose subject is <paramref name="player"/>, valid for 12 hours.</summary>
    public static string CreateToken(SecurityKey key, string player, DateTimeOffset now, string? issuer = null, string? audience = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim(PlayerClaim, player)]),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = now.UtcDateTime.AddHours(12),
            Issuer = issuer,
            Audience = audience,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });

    public static SymmetricSecurityKey SigningKey(IConfiguration configuration)
    {
        var configured = configuration["Auth:SigningKey"];
        if (string.IsNullOrEmpty(configured))
        {
            return new SymmetricSecurityKey(EphemeralKey);
        }
        var bytes = Encoding.UTF8.GetBytes(configured);
        return bytes.Length >= 32
            ? new SymmetricSecurityKey(bytes)
            : throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (256 bits) for HS256");
    }

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$")]
    private static partial Regex PlayerId();
}
