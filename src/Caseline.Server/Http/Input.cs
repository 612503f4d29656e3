namespace Caseline.Server.Http;

/// <summary>Text as a query string or a form gives it.</summary>
internal static class Input
{
    /// <summary>Null for a missing or blank value (a blank filter filters nothing, a blank field says nothing), else the value trimmed.</summary>
    public static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
