namespace Caseline.Server.Web;

/// <summary>A list's pages as links: first, previous, a window of numbers around the current page, next and last.</summary>
/// <param name="Page">The page shown, from 1.</param>
/// <param name="Pages">How many pages there are.</param>
/// <param name="Link">A page's address.</param>
/// <param name="Noun">What the list holds, for the links' names ("clients", "messages").</param>
internal sealed record Pager(int Page, int Pages, Func<int, string> Link, string Noun)
{
    /// <summary>How many numbered pages show on each side of the current one.</summary>
    public const int Reach = 2;

    /// <summary>The numbered pages shown: the current one and <see cref="Reach"/> on each side, always five when there are five.</summary>
    public IEnumerable<int> Window()
    {
        var first = Math.Max(1, Math.Min(Page - Reach, Pages - (2 * Reach)));
        var last = Math.Min(Pages, first + (2 * Reach));
        return Enumerable.Range(first, last - first + 1);
    }
}
