using System.Buffers.Text;
using System.Text;

namespace Caseline.Server.Http;

/// <summary>Opaque page cursors: what they hold is ours to change, so callers only pass them back.</summary>
internal static class Cursor
{
    public static string Encode(string value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("c:" + value));

    public static string Encode(long position) => Encode(position.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static bool TryDecode(string? cursor, out string? value)
    {
        value = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            value = text.StartsWith("c:", StringComparison.Ordinal) ? text[2..] : null;
            return value is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool TryDecode(string? cursor, out long position)
    {
        position = 0;
        return TryDecode(cursor, out string? value)
            && (value is null || (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out position) && position >= 0));
    }
}
