using System.Reflection;
using Microsoft.Extensions.Logging;

namespace GridGame.Testing;

/// <summary>
/// Reads an assembly's <c>[LoggerMessage]</c> methods and its event-id table, so that a test per assembly keeps the
/// table honest: every id used once, every id from the table, every table entry used.
/// </summary>
internal static class EventIdTable
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>Every log method of the assembly with the event id it logs under.</summary>
    public static IReadOnlyList<(string Method, int Id)> LogLines(Assembly assembly) =>
        assembly.GetTypes()
            .SelectMany(t => t.GetMethods(Everything))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(line => line.Attribute is not null)
            .Select(line => (line.Method, line.Attribute!.EventId))
            .ToList();

    /// <summary>What is wrong between <paramref name="table"/> (a static class of <c>const int</c>s) and the log methods of its assembly, one sentence each.</summary>
    public static IReadOnlyList<string> Problems(Type table)
    {
        var entries = table.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (f.Name, Id: (int)f.GetRawConstantValue()!))
            .ToList();
        var lines = LogLines(table.Assembly);
        var ids = entries.Select(e => e.Id).ToHashSet();
        var used = lines.Select(l => l.Id).ToHashSet();
        return
        [
            .. entries.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{table.Name} gives id {g.Key} to {string.Join(" and ", g.Select(e => e.Name))}"),
            .. lines.GroupBy(l => l.Id).Where(g => g.Count() > 1).Select(g => $"id {g.Key} is logged by {string.Join(" and ", g.Select(l => l.Method))}"),
            .. lines.Where(l => !ids.Contains(l.Id)).Select(l => $"{l.Method} logs id {l.Id}, which is not in {table.Name}"),
            .. entries.Where(e => !used.Contains(e.Id)).Select(e => $"{table.Name}.{e.Name} ({e.Id}) is logged by no method"),
        ];
    }
}
