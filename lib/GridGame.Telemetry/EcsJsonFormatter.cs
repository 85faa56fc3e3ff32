using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace GridGame.Telemetry;

/// <summary>
/// Writes each log entry as one JSON line with Elastic Common Schema field names (<c>@timestamp</c>, <c>log.level</c>,
/// <c>log.logger</c>, <c>message</c>, <c>error.*</c>, <c>trace.id</c>, <c>span.id</c>), so Filebeat ships it and
/// Elasticsearch indexes it without an ingest pipeline, and Kibana links a line to its trace. The built-in JSON
/// formatter nests the trace id in a <c>Scopes</c> array and names fields its own way (<c>Timestamp</c>,
/// <c>LogLevel</c>, <c>Category</c>), which would need a pipeline to rename.
/// </summary>
public sealed class EcsJsonFormatter : ConsoleFormatter
{
    /// <summary>The name <see cref="ConsoleLoggerOptions.FormatterName"/> selects this formatter by.</summary>
    public const string FormatterName = "ecs";

    // Readable in `kubectl logs` (no \u003C for <) and still valid JSON; the console formatter of ASP.NET Core does the same.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    private readonly IOptionsMonitor<ConsoleFormatterOptions> _options;

    public EcsJsonFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        _options = options;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("@timestamp", TimeProvider.System.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("log.level", Level(logEntry.LogLevel));
            json.WriteString("log.logger", logEntry.Category);
            if (logEntry.EventId.Id != 0)
            {
                json.WriteString("event.code", logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
            }

            json.WriteString("message", message ?? logEntry.Exception!.Message);
            if (logEntry.Exception is { } exception)
            {
                json.WriteString("error.type", exception.GetType().FullName);
                json.WriteString("error.message", exception.Message);
                json.WriteString("error.stack_trace", exception.ToString());
            }

            // The console logger formats on the logging thread, so the current activity is the caller's.
            if (Activity.Current is { } activity && activity.IdFormat == ActivityIdFormat.W3C)
            {
                json.WriteString("trace.id", activity.TraceId.ToHexString());
                json.WriteString("span.id", activity.SpanId.ToHexString());
            }

            WriteLabels(json, logEntry.State, _options.CurrentValue.IncludeScopes ? scopeProvider : null);
            json.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    /// <summary>
    /// The entry's named properties (<c>{Fleet}</c>, <c>{Session}</c>…) and those of its scopes, as ECS <c>labels</c>:
    /// always strings, because Elasticsearch maps a field by the first value it sees, and one logger's number where
    /// another wrote text would have the later lines rejected.
    /// </summary>
    private static void WriteLabels<TState>(Utf8JsonWriter json, TState state, IExternalScopeProvider? scopes)
    {
        var open = false;
        void Add(IEnumerable<KeyValuePair<string, object?>> properties)
        {
            foreach (var (key, value) in properties)
            {
                if (key == "{OriginalFormat}" || value is null)
                {
                    continue;
                }

                if (!open)
                {
                    json.WriteStartObject("labels");
                    open = true;
                }

                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        if (state is IEnumerable<KeyValuePair<string, object?>> properties)
        {
            Add(properties);
        }

        scopes?.ForEachScope(
            static (scope, add) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> properties)
                {
                    add(properties);
                }
            },
            (Action<IEnumerable<KeyValuePair<string, object?>>>)Add);
        if (open)
        {
            json.WriteEndObject();
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };
}
