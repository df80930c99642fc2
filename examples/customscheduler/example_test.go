package main

import "fmt"

// Example_profiles shows the profiles of the embedded configuration and
// where TieredPlacement sits in the custom one.
func Example_profiles() {
	cfg, err := loadConfig("")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range cfg.Profiles {
		fmt.Print(p.SchedulerName, ":")
		for _, ref := range p.Plugins.MultiPoint.Enabled {
			if ref.Name == "TieredPlacement" || ref.Name == "NodeResourcesFit" {
				fmt.Printf(" %s(weight %d)", ref.Name, ref.Weight)
			}
		}
		fmt.Println()
	}
	// Output:
	// default-scheduler: NodeResourcesFit(weight 1)
	// tiered-scheduler: NodeResourcesFit(weight 1) TieredPlacement(weight 5)
}
