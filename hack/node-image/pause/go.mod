module labgrade.local/pause

go 1.26
