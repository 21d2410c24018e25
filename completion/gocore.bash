# bash completion for gocore(1).  Installed as
# share/bash-completion/completions/gocore (make install, make deb); works
# with or without the bash-completion package (uses its _filedir when loaded).

_gocore_files()
{
	if declare -F _filedir >/dev/null; then
		_filedir
	else
		compopt -o filenames 2>/dev/null
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$1"))
	fi
}

_gocore()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev= prev2=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	((COMP_CWORD > 1)) && prev2=${COMP_WORDS[COMP_CWORD - 2]}
	COMPREPLY=()

	local commands="goroutines stack overview summary pprof report threads waits leaks"
	local filters="--state --match --min-wait --label"
	local common="--force -f --lib --core -c --help -h"

	# bash splits "--opt=VALUE" at '=' (COMP_WORDBREAKS): it arrives as
	# "--opt" "=" "VALUE".  Without '=' in COMP_WORDBREAKS, --color=WHEN is
	# one word.
	local opt=$prev eq=
	if [[ $cur == = ]]; then
		cur= eq=1
	elif [[ $prev == = ]]; then
		opt=$prev2 eq=1
	elif [[ $cur == --color=* ]]; then
		COMPREPLY=($(compgen -P --color= -W "auto always never" -- "${cur#--color=}"))
		return
	fi

	case $opt in
	-o | --output | --lib | -c | --core)
		_gocore_files "$cur"
		return
		;;
	--color)
		COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
		return
		;;
	--group-by)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "label=" -- "$cur"))
		return
		;;
	esac
	# Any other option's argument (--state, --match, --min-wait, --label,
	# label=KEY) is free text.
	case $prev in
	--state | --match | --min-wait | --label) return ;;
	esac
	[[ -n $eq ]] && return

	# The command is the first word that is neither an option nor an
	# option's argument (options may come before it); count the
	# positional arguments after it.
	local i w cmd= npos=0 skip=
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -n $skip ]]; then
			[[ $w == = ]] || skip= # --lib=PATH: "--lib" "=" "PATH"
			continue
		fi
		case $w in
		-o | --output | --lib | -c | --core | --state | --match | --min-wait | --label | --group-by | --color) skip=1 ;;
		=) skip=1 ;; # "--opt=VALUE" or "label=KEY" split at '='
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=$w; else ((npos++)); fi ;;
		esac
	done

	if [[ $cur == -* ]]; then
		local opts
		case $cmd in
		"") opts="--help -h --version $common" ;;
		goroutines) opts="--json $filters --verbose -v --color= $common" ;;
		stack) opts="--json --verbose -v --color= $common" ;;
		overview) opts="--json $common" ;;
		summary) opts="--json $filters --group-by --color= $common" ;;
		pprof) opts="--output -o $filters $common" ;;
		report) opts="--output -o $common" ;;
		threads) opts="--json --verbose -v $common" ;;
		waits) opts="--json $filters $common" ;;
		leaks) opts="--json --summary --group-by $filters --color= $common" ;;
		*) return ;;
		esac
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
	fi
	# stack's first argument is a goroutine id; the rest are the core and
	# the executable (or just the executable after -c).
	[[ $cmd == stack && $npos == 0 ]] && return
	_gocore_files "$cur"
} &&
	complete -F _gocore gocore
