using System.Globalization;

namespace GridGame.LocalCluster.Presentation;

/// <summary>The API server's <c>duration.HumanDuration</c> ("45s", "3m20s", "5h", "12d"), used for Age cells.</summary>
internal static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        if (d < TimeSpan.FromSeconds(-1))
        {
            return "<invalid>";
        }
        if (d < TimeSpan.Zero)
        {
            return "0s";
        }
        var c = CultureInfo.InvariantCulture;
        var seconds = (long)d.TotalSeconds;
        if (seconds < 60 * 2)
        {
            return seconds.ToString(c) + "s";
        }
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : string.Create(c, $"{minutes}m{s}s");
        }
        if (minutes < 60 * 3)
        {
            return minutes.ToString(c) + "m";
        }
        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : string.Create(c, $"{hours}h{m}m");
        }
        if (hours < 48)
        {
            return hours.ToString(c) + "h";
        }
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : string.Create(c, $"{hours / 24}d{h}h");
        }
        if (hours < 24 * 365 * 2)
        {
            return (hours / 24).ToString(c) + "d";
        }
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : string.Create(c, $"{hours / 24 / 365}y{dy}d");
        }
        return (hours / 24 / 365).ToString(c) + "y";
    }
}
