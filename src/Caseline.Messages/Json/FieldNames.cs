namespace Caseline.Messages.Json;

/// <summary>How an unknown property name is shown in an error, and which known name it most likely meant.</summary>
internal static class FieldNames
{
    private const int MaxShown = 100;

    /// <summary>The name as an error shows it: cut short, since a body may name anything at any length.</summary>
    public static string Shown(string name) => name.Length <= MaxShown ? name : string.Concat(name.AsSpan(0, MaxShown), "…");

    /// <summary>
    /// The known name nearest to <paramref name="name"/> by edit distance (letters in any case; a swap of two neighbours
    /// counts once), when it is near enough to be a slip: one edit for short names, up to three for long ones. Null otherwise.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var allowed = Math.Clamp(candidate.Length / 4, 1, 3);
            // Each edit changes the length by one at most: a far longer or shorter name cannot be near.
            if (Math.Abs(candidate.Length - name.Length) > allowed)
            {
                continue;
            }

            var distance = Distance(name.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (distance <= allowed && distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    /// <summary>The optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int Distance(string a, string b)
    {
        var rows = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            rows[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            rows[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                rows[i, j] = Math.Min(Math.Min(rows[i - 1, j] + 1, rows[i, j - 1] + 1), rows[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    rows[i, j] = Math.Min(rows[i, j], rows[i - 2, j - 2] + 1);
                }
            }
        }

        return rows[a.Length, b.Length];
    }
}
