#!/bin/sh
# memgate-history-push.sh - appends a run's results to the memory history
# kept on a git branch (docs/CI.md, "History across commits").
#
# usage: memgate-history-push.sh [--remote NAME|URL] [--branch BRANCH] [--file PATH]
#                                [--tries N] [--memgate CMD] [--keep N] [--max-runs M]
#                                [--run-id ID] RESULTS...
#
# Defaults: --remote origin, --branch memgate-history, --file history.jsonl
# (one file per platform is a good choice: --file history/linux-x86_64.jsonl),
# --tries 8, --memgate memgate; --keep, --max-runs and --run-id go to
# `memgate history append`.
#
# The flow never touches the work tree, the index or a local branch: it
# fetches the branch, builds the new commit with plumbing (the history file
# from the branch, `memgate history append`, hash-object, a temporary
# index, commit-tree) and pushes it as a fast-forward. When another job
# pushed first, the push is rejected; the script fetches again and appends
# again onto the new tip (the append is idempotent by run id, so nothing is
# lost and nothing doubled), after a short random pause, up to --tries
# times. Exit status: 0 pushed (or the run was already there), 1 every try
# was rejected or git failed, 2 bad usage or memgate refused the input.
set -u

remote=origin
branch=memgate-history
file=history.jsonl
tries=8
memgate=${MEMGATE:-memgate}
append_opts=

die() { echo "memgate-history-push: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case $1 in
    --remote) [ $# -ge 2 ] || die "--remote needs a value"; remote=$2; shift 2 ;;
    --branch) [ $# -ge 2 ] || die "--branch needs a value"; branch=$2; shift 2 ;;
    --file) [ $# -ge 2 ] || die "--file needs a value"; file=$2; shift 2 ;;
    --tries) [ $# -ge 2 ] || die "--tries needs a value"; tries=$2; shift 2 ;;
    --memgate) [ $# -ge 2 ] || die "--memgate needs a value"; memgate=$2; shift 2 ;;
    --keep|--max-runs|--run-id)
      [ $# -ge 2 ] || die "$1 needs a value"
      case $2 in *[!A-Za-z0-9._:@+-]*|'') die "$1: bad value '$2'" ;; esac
      append_opts="$append_opts $1 $2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "no RESULTS files given"
case $tries in ''|*[!0-9]*) die "--tries must be a number" ;; esac
case $file in /*|*..*|'') die "--file must be a relative path inside the branch" ;; esac
git rev-parse --git-dir >/dev/null 2>&1 || die "not inside a git repository"
for r in "$@"; do [ -f "$r" ] || die "$r: no such results file"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgate-history.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
: "${GIT_AUTHOR_NAME:=$(git config user.name || echo memgate)}"
: "${GIT_AUTHOR_EMAIL:=$(git config user.email || echo memgate@localhost)}"
: "${GIT_COMMITTER_NAME:=$GIT_AUTHOR_NAME}"
: "${GIT_COMMITTER_EMAIL:=$GIT_AUTHOR_EMAIL}"
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

# One try: 0 pushed or nothing to do, 1 rejected (try again), 2 give up.
attempt() {
  rm -f "$tmp/history" "$tmp/index"
  base=
  git ls-remote --exit-code "$remote" "refs/heads/$branch" >/dev/null 2>&1
  case $? in
    0) git fetch -q "$remote" "refs/heads/$branch" || return 1
       base=$(git rev-parse FETCH_HEAD) || return 2
       if git cat-file -e "$base:$file" 2>/dev/null; then git cat-file blob "$base:$file" >"$tmp/history" || return 2; fi ;;
    2) ;; # the branch does not exist yet: its first commit
    *) echo "memgate-history-push: cannot reach $remote" >&2; return 1 ;;
  esac
  # shellcheck disable=SC2086 # append_opts holds checked words
  "$memgate" history append $append_opts "$tmp/history" "$@" || return 2
  blob=$(git hash-object -w "$tmp/history") || return 2
  if [ -n "$base" ] && [ "$(git rev-parse "$base:$file" 2>/dev/null)" = "$blob" ]; then
    echo "memgate-history-push: the run is already in $branch:$file"
    return 0
  fi
  if [ -n "$base" ]; then GIT_INDEX_FILE=$tmp/index git read-tree "$base" || return 2; fi
  GIT_INDEX_FILE=$tmp/index git update-index --add --cacheinfo "100644,$blob,$file" || return 2
  tree=$(GIT_INDEX_FILE=$tmp/index git write-tree) || return 2
  msg="memgate history: $(basename "$1")${2:+ and more} onto ${base:-a new branch}"
  commit=$(git commit-tree "$tree" ${base:+-p "$base"} -m "$msg") || return 2
  if git push -q "$remote" "$commit:refs/heads/$branch"; then
    echo "memgate-history-push: pushed $commit to $branch:$file"
    return 0
  fi
  return 1
}

i=1
while [ "$i" -le "$tries" ]; do
  attempt "$@"
  rc=$?
  [ "$rc" = 0 ] && exit 0
  [ "$rc" = 2 ] && exit 2
  echo "memgate-history-push: try $i of $tries rejected (another job pushed first?); fetching again" >&2
  # A random pause of 0.1 to 0.6 s times the try: two jobs do not meet again.
  sleep "$(awk -v s="$$$i" -v i="$i" 'BEGIN { srand(s); printf "%.2f", (0.1 + rand() * 0.5) * i }')"
  i=$((i + 1))
done
echo "memgate-history-push: every one of $tries tries was rejected" >&2
exit 1
