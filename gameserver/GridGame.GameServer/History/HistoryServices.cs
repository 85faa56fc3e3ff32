using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace GridGame.GameServer.History;

internal static class HistoryServices
{
    /// <summary>PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, else SQLite at <c>ConnectionStrings:Sqlite</c>.</summary>
    public static IServiceCollection AddGameHistory(this IServiceCollection services, IConfiguration configuration)
    {
        var postgres = configuration.GetConnectionString("Postgres");
        var sqlite = configuration.GetConnectionString("Sqlite");
        services.AddDbContextFactory<HistoryDbContext>(options =>
        {
            if (!string.IsNullOrEmpty(postgres))
            {
                options.UseNpgsql(postgres);
            }
            else
            {
                options.UseSqlite(string.IsNullOrEmpty(sqlite) ? "Data Source=gridgame-history.db" : sqlite);
            }
            // The migration is written by hand for both providers; there is no model snapshot to compare with.
            options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
        });
        services.AddSingleton<HistoryWriter>();
        services.AddSingleton<UnwrittenEvents>();
        services.AddSingleton<HistoryPump>();
        services.AddHostedService(sp => sp.GetRequiredService<HistoryPump>());
        return services;
    }
}
